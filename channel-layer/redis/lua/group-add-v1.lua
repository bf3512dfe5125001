--[[
  Adds a process-specific channel to a group, and notes the group in its process's joined
  hash, so that the holder can take the channel out of every group it was put in when it lets
  the channel go (leave-groups-v1.lua), whoever put it there.

  KEYS[1]   the group's sorted set (member channel -> time added)
  KEYS[2]   the joined hash of the member's process: channel -> its groups, one per line
  ARGV[1]   now (ms)
  ARGV[2]   the member channel
  ARGV[3]   the group's name (group names hold no line breaks)
  ARGV[4]   ttl of the joined hash (ms): the holder's heartbeat renews it, so a dead process's
            hash goes by itself
]]
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local joined = redis.call('HGET', KEYS[2], ARGV[2])
if not joined then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
elseif not string.find('\n' .. joined .. '\n', '\n' .. ARGV[3] .. '\n', 1, true) then
  redis.call('HSET', KEYS[2], ARGV[2], joined .. '\n' .. ARGV[3])
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
