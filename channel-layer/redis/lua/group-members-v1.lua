--[[
  Lists a group's live members (presence), dropping those whose process died.

  KEYS[1]   the group's sorted set
  KEYS[2]   the liveness sorted set
  ARGV[1]   now (ms)
  ARGV[2]   heartbeat timeout (ms)

  Returns   array of member channels
]]
--@include live-members.lua

local byInbox, inboxes, plain = liveMembers(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]))
local result = {}
for _, inbox in ipairs(inboxes) do
  for _, member in ipairs(byInbox[inbox]) do
    result[#result + 1] = member
  end
end
for _, channel in ipairs(plain) do
  result[#result + 1] = channel
end
return result
