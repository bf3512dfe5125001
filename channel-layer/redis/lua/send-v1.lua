--[[
  Appends envelopes to a channel's list, as many as its capacity allows. One call carries
  every message produced for that list in one event-loop turn.

  KEYS[1]   the list
  ARGV[1]   capacity: most envelopes the list may hold
  ARGV[2]   ttl (ms): the list is deleted when nothing was appended for this long; by then
            everything in it has expired
  ARGV[3..] envelopes, oldest first

  Returns   how many envelopes were appended: always a prefix of ARGV[3..]; the rest did
            not fit and their senders get ChannelFull
]]
local room = tonumber(ARGV[1]) - redis.call('LLEN', KEYS[1])
local count = math.min(room, #ARGV - 2)
if count <= 0 then
  return 0
end
redis.call('RPUSH', KEYS[1], unpack(ARGV, 3, count + 2))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return count
