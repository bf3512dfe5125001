--[[
  Takes channels a process has let go out of every group they were put in (group-add-v1.lua).

  KEYS[1]   the joined hash of this process: channel -> its groups, one per line
  ARGV[1]   the groups' key prefix (a group's key is ARGV[1] .. name)
  ARGV[2..] the channels

  Returns   how many memberships were removed
]]
local removed = 0
for i = 2, #ARGV do
  local joined = redis.call('HGET', KEYS[1], ARGV[i])
  if joined then
    for group in string.gmatch(joined, '[^\n]+') do
      removed = removed + redis.call('ZREM', ARGV[1] .. group, ARGV[i])
    end
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return removed
