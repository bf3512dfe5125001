--[[
  Takes the groups of channels a process has let go out of its joined hash (group-joined-v1.lua):
  the layer then removes each channel from those groups, a ZREM on each group's own slot.

  KEYS[1]   the joined hash of this process: channel -> its groups, one per line
  ARGV[1..] the channels

  Returns   {channel, groups, channel, groups, ...} for the channels that were in groups
            (groups one per line)
]]
local taken = {}
for i = 1, #ARGV do
  local joined = redis.call('HGET', KEYS[1], ARGV[i])
  if joined then
    taken[#taken + 1] = ARGV[i]
    taken[#taken + 1] = joined
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return taken
