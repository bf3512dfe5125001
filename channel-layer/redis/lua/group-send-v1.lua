--[[
  Delivers one message to every live member of a group, with ONE list push per process that
  holds members (that process fans out to its members locally), plus one per ordinary-channel
  member. Cost in commands: O(processes), not O(members).

  KEYS[1]   the group's sorted set (member channel -> time added)
  KEYS[2]   the liveness sorted set (inbox -> last heartbeat, ms)
  ARGV[1]   list key prefix: a member's list is ARGV[1] .. (its inbox or its own name)
  ARGV[2]   now (ms)
  ARGV[3]   heartbeat timeout (ms)
  ARGV[4]   capacity of an inbox
  ARGV[5]   capacity of an ordinary channel
  ARGV[6]   list ttl (ms)
  ARGV[7]   envelope head: MessagePack array header, protocol version, send time
  ARGV[8]   the packed message
  ARGV[9]   the group's name

  An envelope is [version, sentAt, target, message] (schemas/codec.ts); for an inbox the
  target is [group, member, member, ...], for an ordinary channel its name.

  Returns   {lists pushed to, lists skipped because full}
]]
--@include live-members.lua

local byInbox, inboxes, plain = liveMembers(KEYS[1], KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3]))
local pushed, full = 0, 0

local function push(list, capacity, envelope)
  if redis.call('LLEN', list) >= capacity then
    full = full + 1
    return
  end
  redis.call('RPUSH', list, envelope)
  redis.call('PEXPIRE', list, ARGV[6])
  pushed = pushed + 1
end

for _, inbox in ipairs(inboxes) do
  local target = { ARGV[9] }
  for _, member in ipairs(byInbox[inbox]) do
    target[#target + 1] = member
  end
  push(ARGV[1] .. inbox, tonumber(ARGV[4]), ARGV[7] .. cmsgpack.pack(target) .. ARGV[8])
end
for _, channel in ipairs(plain) do
  push(ARGV[1] .. channel, tonumber(ARGV[5]), ARGV[7] .. cmsgpack.pack(channel) .. ARGV[8])
end
return { pushed, full }
