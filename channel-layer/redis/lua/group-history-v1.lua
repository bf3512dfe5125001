--[[
  A group's history (history.ts): its messages in a stream, each at an offset counted from 1
  within an epoch, in the group's slot. One script for both uses, so one rule trims.

  KEYS[1]   the history's state, a hash: `epoch`, `last` (the last offset given)
  KEYS[2]   the stream: entry id `<offset>-0`, fields `t` (time sent, ms) and `m` (envelope)
  KEYS[3]   (send, on a cluster only) the call's receipt, in the group's slot: a call already
            done answers what it answered then and records nothing. A cluster client sends a
            command again when its connection closed before the reply, though the first may
            have run: the receipt keeps that one message
  ARGV[1]   'send' or 'read'
  ARGV[2]   an epoch name, taken if the history has none (it begins now)
  ARGV[3]   now (ms)
  ARGV[4]   size: most messages kept
  ARGV[5]   max age (ms): older messages are not kept
  ARGV[6]   how long the state outlives the last send (ms); after that a new epoch begins
  send:
  ARGV[7]   the channel to publish on, which every process following the group subscribes to
  ARGV[8]   the envelope
  ARGV[9]   (with KEYS[3]) how long the receipt is kept (ms)
  Returns   {epoch, offset}: recorded and published as one step, so no message is delivered
            without a position or recorded without delivery
  read:
  ARGV[7]   the offset to read after
  ARGV[8]   most entries to return
  Returns   {epoch, first, last, offset, envelope, offset, envelope, ...}: first is the oldest
            kept offset (last + 1 when none is kept)
]]
if ARGV[1] == 'send' and #KEYS == 3 then
  local done = redis.call('GET', KEYS[3])
  if done then
    local space = string.find(done, ' ', 1, true)
    return {string.sub(done, 1, space - 1), tonumber(string.sub(done, space + 1))}
  end
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  -- A new epoch counts from 1 again: entries of an old one (its state lost) must go.
  epoch = ARGV[2]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'last', 0)
  redis.call('DEL', KEYS[2])
end
local now = tonumber(ARGV[3])
local size = tonumber(ARGV[4])
local maxAge = tonumber(ARGV[5])

-- Drops expired entries from the head, 64 at a time until the first one kept (the stream's
-- own expiry takes a history whose every entry expired).
local function trimExpired()
  while true do
    local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 64)
    for i = 1, #head do
      local fields = head[i][2]
      local sentAt = 0
      for f = 1, #fields, 2 do
        if fields[f] == 't' then sentAt = tonumber(fields[f + 1]) end
      end
      if sentAt >= now - maxAge then
        if i > 1 then redis.call('XTRIM', KEYS[2], 'MINID', head[i][1]) end
        return
      end
    end
    if #head == 0 then return end
    local lastOffset = tonumber(string.match(head[#head][1], '^(%d+)'))
    redis.call('XTRIM', KEYS[2], 'MINID', (lastOffset + 1) .. '-0')
  end
end

redis.call('PEXPIRE', KEYS[1], ARGV[6])
if ARGV[1] == 'send' then
  local offset = redis.call('HINCRBY', KEYS[1], 'last', 1)
  redis.call('XADD', KEYS[2], 'MAXLEN', size, offset .. '-0', 't', now, 'm', ARGV[8])
  trimExpired()
  redis.call('PEXPIRE', KEYS[2], maxAge)
  redis.call('PUBLISH', ARGV[7], offset .. ' ' .. epoch .. ' ' .. ARGV[8])
  if #KEYS == 3 then
    redis.call('SET', KEYS[3], epoch .. ' ' .. offset, 'PX', ARGV[9])
  end
  return {epoch, offset}
end

trimExpired()
local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
local first = last + 1
local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
if #head > 0 then
  first = tonumber(string.match(head[1][1], '^(%d+)'))
end
local reply = {epoch, first, last}
local entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[7] .. '-0', '+', 'COUNT', ARGV[8])
for i = 1, #entries do
  local fields = entries[i][2]
  for f = 1, #fields, 2 do
    if fields[f] == 'm' then
      reply[#reply + 1] = tonumber(string.match(entries[i][1], '^(%d+)'))
      reply[#reply + 1] = fields[f + 1]
    end
  end
end
return reply
