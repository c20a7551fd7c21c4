// A paced SET load for the lag cases of bench/sync, in a process of its own so that generating it does not delay the
// bench's probe: `node paced-load.js <host> <port> <writes/s> <seconds>`. Sends rate/100 pre-encoded SETs of 100 bytes
// every 10 ms on one raw connection (no client library on the hot path), reads and counts the replies, and prints the
// rate achieved as JSON when done.
import { connect } from 'node:net';

const [host, portText, rateText, secondsText] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
const perSlice = Math.max(1, Math.round(rate / 100));
const VALUE = 'v'.repeat(100);

function sliceBytes(slice: number): Buffer {
  let s = '';
  for (let i = 0; i < perSlice; i++) {
    const key = `paced:${(slice * perSlice + i) % 100_000}`;
    s += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${VALUE.length}\r\n${VALUE}\r\n`;
  }
  return Buffer.from(s);
}

async function main(): Promise<void> {
  const socket = connect({ host, port: Number(portText) });
  await new Promise<void>((res, rej) => { socket.once('connect', () => res()); socket.once('error', rej); });
  let replies = 0;
  socket.on('data', (d: Buffer) => { for (const b of d) if (b === 10) replies++; });
  const slices = Math.round(seconds * 100);
  const t0 = Date.now();
  for (let slice = 0; slice < slices; slice++) {
    socket.write(sliceBytes(slice));
    const wait = t0 + (slice + 1) * 10 - Date.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
  const sent = slices * perSlice;
  for (let i = 0; i < 3000 && replies < sent; i++) await new Promise((res) => setTimeout(res, 10));
  const elapsed = (Date.now() - t0) / 1000;
  socket.destroy();
  process.stdout.write(JSON.stringify({ sent, replies, writesPerSecond: sent / elapsed }) + '\n');
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
