// The EC2 Query protocol as the emulator speaks it: a form-encoded POST signed with SigV4, and XML
// answers in the 2016-11-15 namespace; errors as `<Response><Errors><Error>` with a Code the SDK
// turns into the exception's `name`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBodyText } from '../state-file.ts';

const API_VERSION = '2016-11-15';
const XML_NAMESPACE = `http://ec2.amazonaws.com/doc/${API_VERSION}/`;
const MAX_BODY_BYTES = 1024 * 1024;

/** The form parameters of one request, by name (`InstanceId.1`, `Filter.1.Name`, ...). */
export type Params = Map<string, string>;

/** An error the SDK maps to an exception whose `name` is the code. */
export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function fail(code: string, message: string, status = 400): never {
  throw new Ec2Error(code, message, status);
}

// ---- XML -------------------------------------------------------------------------------------

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (char) => XML_ESCAPES[char] ?? char);
}

export function leaf(tag: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${tag}>${esc(String(value))}</${tag}>`;
}

export function node(tag: string, inner: string): string {
  return `<${tag}>${inner}</${tag}>`;
}

/** EC2 lists: a wrapper element holding one `<item>` per member. */
export function itemSet(tag: string, items: string[]): string {
  return items.length === 0 ? `<${tag}/>` : node(tag, items.map((item) => node('item', item)).join(''));
}

// ---- HTTP ------------------------------------------------------------------------------------

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/**
 * Checks who is calling by the SigV4 credential scope only: the access key must be accepted and
 * the scope must name this region and ec2. The signature itself is NOT verified; the emulator
 * listens on loopback and stands in for an account, not for a security boundary.
 */
export function authenticate(req: IncomingMessage, acceptedKeys: ReadonlySet<string>, region: string): void {
  const header = req.headers.authorization ?? '';
  const match = header.startsWith('AWS4-HMAC-SHA256 ') ? CREDENTIAL.exec(header) : null;
  if (!match) fail('AuthFailure', 'The request must be signed with AWS Signature Version 4.', 401);
  const [, accessKeyId = '', scopeRegion = '', service = ''] = match;
  if (!acceptedKeys.has(accessKeyId)) fail('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
  if (scopeRegion !== region) fail('AuthFailure', `Credential should be scoped to a valid region, not '${scopeRegion}'.`, 401);
  if (service !== 'ec2') fail('AuthFailure', `Credential should be scoped to correct service: 'ec2'.`, 401);
}

export async function readForm(req: IncomingMessage): Promise<Params> {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    fail('UnsupportedOperation', 'The local EC2 emulator expects a form-encoded POST body.');
  }
  const text = await readBodyText(req, MAX_BODY_BYTES, () => fail('RequestLimitExceeded', 'Request body too large.', 413));
  return new Map(new URLSearchParams(text));
}

function sendXml(res: ServerResponse, status: number, requestId: string, xml: string): void {
  const payload = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, {
    'content-type': 'text/xml;charset=UTF-8',
    'content-length': Buffer.byteLength(payload),
    // The SDK takes $metadata.requestId from this header, not from the body.
    'x-amzn-requestid': requestId,
  });
  res.end(payload);
}

/** The `<{Action}Response>` of a successful request around the action's own elements. */
export function sendResult(res: ServerResponse, requestId: string, action: string, body: string): void {
  sendXml(res, 200, requestId, `<${action}Response xmlns="${XML_NAMESPACE}">${leaf('requestId', requestId)}${body}</${action}Response>`);
}

export function sendError(res: ServerResponse, requestId: string, status: number, code: string, message: string): void {
  const xml = node('Response', node('Errors', node('Error', leaf('Code', code) + leaf('Message', message))) + leaf('RequestID', requestId));
  sendXml(res, status, requestId, xml);
}
