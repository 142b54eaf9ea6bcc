import { readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

// Serves the web console: its one page for every console path (the console routes itself, by the
// URL's hash), and its hashed static files. Nothing here reads the table or knows a user: the
// page signs in and calls the public API like any other client.

const ASSET_PREFIX = '/console/assets/';
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

// The page loads only its own files and talks only to its own origin.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CSP,
  'cache-control': 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** Where the built console lives: console/dist locally, the bundle's console/ folder on Lambda. */
function assetsDir(): string {
  return resolve(process.env.CONSOLE_ASSETS_DIR ?? 'console/dist');
}

const assets = new Map<string, Buffer>();

/**
 * A hashed file, read once per container (its name is its content); null when there is none or
 * the name is not a plain file name.
 */
function asset(name: string): Buffer | null {
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) return null;
  let body = assets.get(name);
  if (body === undefined) {
    try {
      body = readFileSync(join(assetsDir(), 'assets', name));
    } catch {
      // Not kept: a console built after the first request is then found.
      return null;
    }
    assets.set(name, body);
  }
  return body;
}

/** The page, read on each request (it is small): after a rebuild it names the new files at once. */
function page(): Buffer | null {
  try {
    return readFileSync(join(assetsDir(), 'index.html'));
  } catch {
    return null;
  }
}

type Encoding = 'br' | 'gzip' | 'identity';

// API Gateway HTTP APIs do not compress answers, so the function does: each hashed file once per container.
const compressed = new Map<string, Buffer>();

function encodingFor(event: APIGatewayProxyEventV2): Encoding {
  const accepted = (event.headers?.['accept-encoding'] ?? '').toLowerCase();
  if (/\bbr\b/.test(accepted)) return 'br';
  if (/\bgzip\b/.test(accepted)) return 'gzip';
  return 'identity';
}

function encoded(name: string | undefined, body: Buffer, encoding: Encoding): Buffer {
  if (encoding === 'identity') return body;
  const compress = () => (encoding === 'br' ? brotliCompressSync(body) : gzipSync(body));
  // Only hashed files are kept compressed: the page may change under the same name.
  if (name === undefined) return compress();
  const key = `${encoding}:${name}`;
  let out = compressed.get(key);
  if (!out) {
    out = compress();
    compressed.set(key, out);
  }
  return out;
}

/** A file's answer in the best encoding the browser accepts. */
function fileAnswer(
  event: APIGatewayProxyEventV2,
  name: string | undefined,
  body: Buffer,
  headers: Record<string, string>,
): APIGatewayProxyStructuredResultV2 {
  const encoding = encodingFor(event);
  return {
    statusCode: 200,
    headers: { ...headers, vary: 'accept-encoding', ...(encoding !== 'identity' && { 'content-encoding': encoding }) },
    body: encoded(name, body, encoding).toString('base64'),
    isBase64Encoded: true,
  };
}

function problem(status: number, code: string, detail: string, instance: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
    body: JSON.stringify({ type: `https://plexsphere.dev/problems/${code}`, title: detail, status, detail, instance, code }),
  };
}

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const path = event.rawPath;
  if (path.startsWith(ASSET_PREFIX)) {
    const name = path.slice(ASSET_PREFIX.length);
    const body = asset(name);
    if (!body) return problem(404, 'asset_not_found', 'The console has no such file.', path.slice(0, 256));
    return fileAnswer(event, name, body, {
      'content-type': TYPES[extname(name)] ?? 'application/octet-stream',
      // Asset names carry their content hash, so a name never changes meaning.
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
  }
  const html = page();
  if (!html) {
    return problem(503, 'console_not_built', 'The console has not been built: run npm run build:console (npm start does it).', path);
  }
  return fileAnswer(event, undefined, html, PAGE_HEADERS);
}
