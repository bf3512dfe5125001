--[[
  Appends envelopes to a channel's list, as many as its capacity allows. One call carries
  every message produced for that list in one event-loop turn.

  KEYS[1]   the list
  KEYS[2]   (a cluster only) the call's receipt, in the list's slot: a call already done
            answers what it answered then and appends nothing. A cluster client sends a
            command again when its connection closed before the reply (a primary failing
            over), though the first may have run: the receipt keeps that a single send
  ARGV[1]   capacity: most envelopes the list may hold
  ARGV[2]   ttl (ms): the list is deleted when nothing was appended for this long; by then
            everything in it has expired
  ARGV[3]   (with KEYS[2]) how long the receipt is kept (ms)
  ARGV[4..] envelopes, oldest first (ARGV[3..] without KEYS[2])

  Returns   how many envelopes were appended: always a prefix of the envelopes; the rest did
            not fit and their senders get ChannelFull
]]
local first = 3
if #KEYS == 2 then
  local done = redis.call('GET', KEYS[2])
  if done then
    return tonumber(done)
  end
  first = 4
end
local room = tonumber(ARGV[1]) - redis.call('LLEN', KEYS[1])
local count = math.min(room, #ARGV - first + 1)
if count < 0 then
  count = 0
end
if count > 0 then
  redis.call('RPUSH', KEYS[1], unpack(ARGV, first, first + count - 1))
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if #KEYS == 2 then
  redis.call('SET', KEYS[2], count, 'PX', ARGV[3])
end
return count
