// The Lua script that applies one destination node's part of a batch, exactly once (node-batches.ts). A cluster has
// no transaction across slots; a script runs atomically on its node, and with allow-cross-slot-keys (Redis 7; older
// servers only check that a key is local) it may write keys of every slot that node holds. Only the checkpoint key is
// declared, so the script goes to the node that holds it.
//
//   KEYS[1]   the node's checkpoint key for this stream and attempt
//   ARGV[1]   the value it must hold (this writer's last one, '' before the first batch): otherwise nothing is applied
//             (SLOTFENCED), which fences a former owner and stops a batch sent after one that failed half-way
//   ARGV[2]   its new value `replid offset db writer ranges`
//   ARGV[3]   replid; ARGV[4] `writer ranges`, to build the value of a command that fails
//   ARGV[5]   the stream's position before each command, `offset db` pairs, space-separated (read only when one fails)
//   ARGV[6..] per command: its argument count, then its arguments
//
// A command that fails (a key that migrated away, WRONGTYPE, OOM) stops the script: what ran before it stays (Lua has
// no rollback), so the checkpoint is set to just before the failed command and the error returned. A restart applies
// the failed command and what follows it, and nothing twice. Errors of a slot moving are returned as TRYAGAIN.
import { scriptSha } from '../writer/script-cache';
import { atLeast, type ServerInfo } from '../writer/dialect/server-info';

const BODY = `local v = redis.call('GET', KEYS[1]) or ''
if v ~= ARGV[1] then return redis.error_reply('SLOTFENCED the checkpoint ' .. KEYS[1] .. ' is no longer this writer\\'s') end
local i = 6
local j = 0
local n = #ARGV
while i <= n do
  local c = tonumber(ARGV[i])
  j = j + 1
  local r = redis.pcall(unpack(ARGV, i + 1, i + c))
  if type(r) == 'table' and r.err then
    local k = 0
    local before = '0 -1'
    for o, d in string.gmatch(ARGV[5], '(%d+) (%-?%d+)') do
      k = k + 1
      if k == j then before = o .. ' ' .. d break end
    end
    redis.call('SET', KEYS[1], ARGV[3] .. ' ' .. before .. ' ' .. ARGV[4])
    local e = r.err
    if string.find(e, 'non local key', 1, true) or string.find(e, 'same slot', 1, true) or string.find(e, 'cluster is down', 1, true) then e = 'TRYAGAIN ' .. e end
    return redis.error_reply(e .. ' (in a redis-sync batch: its checkpoint is set back to before this command, offset ' .. before .. ')')
  end
  i = i + 1 + c
end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

/** Redis 7 refuses a script's access to keys of two slots unless it says so in its shebang, which 6 cannot parse. */
export function nodeBatchScript(server: ServerInfo): Buffer {
  const flagged = server.flavor === 'valkey' || atLeast(server.redisVersion, '7.0.0');
  return Buffer.from(flagged ? `#!lua flags=allow-cross-slot-keys\n${BODY}` : BODY);
}

export function nodeBatchSha(script: Buffer): string {
  return scriptSha(script);
}

/** Lua's unpack() is bounded by its C stack (LUAI_MAXCSTACK, 8000): a command with more arguments goes outside. */
export const MAX_SCRIPT_COMMAND_ARGS = 7000;
