import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiving server saw it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpReceiver {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** Every request received so far, oldest first. */
  requests: ReceivedRequest[];
  /** Decides the answer to each request; the default answers 200 with `{}`. */
  respond: (request: ReceivedRequest, response: ServerResponse) => void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 with a free port, for tests of code that calls
 * out over HTTP: it records what arrives and answers as `respond` says.
 */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const receiver: HttpReceiver = {
    baseUrl: '',
    requests: [],
    respond: (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    },
    close: async () => {
      // Clients keep connections alive; close them so `close` does not wait for them.
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received: ReceivedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      receiver.requests.push(received);
      receiver.respond(received, response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  receiver.baseUrl = `http://127.0.0.1:${port}`;
  return receiver;
}
