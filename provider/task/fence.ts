// The single-writer fence, checked by the destination with every transaction (see ../shared design notes and
// docs/guarantees.md). Before each MULTI the writer sends, pipelined, without waiting for a reply:
//
//   WATCH <checkpoint> <guard>
//   EVAL "if GET(checkpoint) ~= expected then SET guard" 2 <checkpoint> <guard> <expected>
//   MULTI ... SET <checkpoint> <new value> EXEC
//
// `expected` is what this writer's previous transaction set the checkpoint to. WATCH alone only sees changes made
// after it; the script compares the value itself, after the WATCH, and touches this writer's own guard key when it
// differs, which the WATCH then turns into an aborted EXEC (a null reply). So a transaction commits only if the
// checkpoint still holds this writer's last value: a daemon that was paused or partitioned while another took the
// task over (and wrote its own token into the checkpoint) can never apply another write, whatever it had in flight.
// No round trip is added: the comparison happens on the destination, in order with the writes.
import { encodeCommand } from '../resp/encode';

const FENCE_SCRIPT = "local v = redis.call('GET', KEYS[1]) or '' if v ~= ARGV[1] then redis.call('SET', KEYS[2], '1', 'PX', 60000) end return 1";

/** The two commands that go before a fenced MULTI. */
export function fenceCommands(checkpointKey: string, guardKey: string, expected: string | null): Buffer[] {
  return [
    encodeCommand(['WATCH', checkpointKey, guardKey]),
    encodeCommand(['EVAL', FENCE_SCRIPT, '2', checkpointKey, guardKey, expected ?? '']),
  ];
}

/** Compare-and-set of the checkpoint, outside a batch: how a new owner takes the task over (fencing the old one). */
export const CLAIM_SCRIPT = "local v = redis.call('GET', KEYS[1]) or '' if v ~= ARGV[1] then return v end redis.call('SET', KEYS[1], ARGV[2]) return 'OK'";
