--[[
  Notes that a process-specific channel was put in a group, in its process's joined hash, so
  that the holder can take the channel out of every group it was put in when it lets the
  channel go (take-joined-v1.lua), whoever put it there. The member itself goes into the group
  by a ZADD on the group's own slot.

  KEYS[1]   the joined hash of the member's process: channel -> its groups, one per line
  ARGV[1]   the member channel
  ARGV[2]   the group's name (group names hold no line breaks)
  ARGV[3]   ttl of the joined hash (ms): the holder's heartbeat renews it, so a dead process's
            hash goes by itself
]]
local joined = redis.call('HGET', KEYS[1], ARGV[1])
if not joined then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
elseif not string.find('\n' .. joined .. '\n', '\n' .. ARGV[2] .. '\n', 1, true) then
  redis.call('HSET', KEYS[1], ARGV[1], joined .. '\n' .. ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
