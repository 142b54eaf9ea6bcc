import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

// A webhook receiver on the loopback for the e2e tests: records every request it is sent, in
// arrival order, and answers each with the status `answer` gives.

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** What it answered. */
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The status of the next answer, given how many requests came before (0 for the first). */
  answer: (index: number, body: string) => number;
  close(): Promise<void>;
}

export async function startReceiver(answer: Receiver['answer'] = () => 204): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], answer, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = receiver.answer(receiver.received.length, body);
      receiver.received.push({ headers: req.headers, body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}
