import { createHash, createHmac } from 'node:crypto';

// The one CloudFormation read localstack:deploy needs (which resources a stack really holds), over
// the Query API with a SigV4 signature, so the script needs no CloudFormation SDK client.

export interface QueryTarget {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** Signs a form-encoded POST to `service` with AWS Signature Version 4. */
export function signedHeaders(target: QueryTarget, service: string, body: string, now = new Date()): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    host: new URL(target.endpoint).host,
    'x-amz-date': amzDate,
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), sha256(body)].join('\n');
  const scope = `${day}/${target.region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = [day, target.region, service, 'aws4_request'].reduce<Buffer | string>((k, part) => hmac(k, part), `AWS4${target.credentials.secretAccessKey}`);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${target.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

async function query(target: QueryTarget, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Version: '2010-05-15', ...params }).toString();
  const res = await fetch(target.endpoint, { method: 'POST', headers: signedHeaders(target, 'cloudformation', body), body });
  const text = await res.text();
  if (!res.ok) throw new Error(`CloudFormation ${params.Action} answered ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

/** The logical ids of the resources a deployed stack holds, with their types. */
export async function stackResources(target: QueryTarget, stackName: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let next: string | undefined;
  do {
    const xml = await query(target, { Action: 'ListStackResources', StackName: stackName, ...(next && { NextToken: next }) });
    for (const [, member] of xml.matchAll(/<member>([\s\S]*?)<\/member>/g)) {
      const id = tag(member ?? '', 'LogicalResourceId');
      if (id) found.set(id, tag(member ?? '', 'ResourceType') ?? '');
    }
    next = tag(xml.replace(/<member>[\s\S]*?<\/member>/g, ''), 'NextToken');
  } while (next);
  return found;
}
