// A scripted stand-in for a master, for replies a real redis-server will not produce on demand
// (LOADING, silence, odd keep-alives). It parses the replica's commands with the stream parser.
import { createServer, type Server, type Socket } from 'node:net';
import { CommandParser } from '../../provider/resp/command-parser';
import { HOST } from '../harness/redis';

export type Reply = (argv: string[], socket: Socket) => void;

export interface FakeMaster {
  port: number;
  /** Every command received, per connection, as strings. */
  received: string[][];
  close(): Promise<void>;
}

export async function startFakeMaster(reply: Reply): Promise<FakeMaster> {
  const sockets = new Set<Socket>();
  const received: string[][] = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const parser = new CommandParser(0);
    socket.on('data', (chunk) => {
      for (const cmd of parser.feed(chunk)) {
        const argv = cmd.argv.map((a) => a.toString());
        received.push(argv);
        reply(argv, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    received,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Answers the handshake like a master, then PSYNC with `psyncReply` (raw bytes). */
export function handshakeThen(psyncReply: string | Buffer): Reply {
  return (argv, socket) => {
    const name = argv[0].toUpperCase();
    if (name === 'PING') socket.write('+PONG\r\n');
    else if (name === 'REPLCONF' && argv[1].toUpperCase() !== 'ACK') socket.write('+OK\r\n');
    else if (name === 'AUTH') socket.write('+OK\r\n');
    else if (name === 'PSYNC') socket.write(psyncReply);
  };
}
