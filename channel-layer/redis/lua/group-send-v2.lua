--[[
  Delivers one message to every live member of a group held by a process, with ONE list push
  per process that holds members (that process fans out to its members locally). Cost in
  commands: O(processes), not O(members). Ordinary-channel members are returned, not pushed
  to: each has a capacity of its own (the layer's `channelCapacity` rules, which only the
  layer can match), so the layer sends to them as it sends to any channel.

  KEYS[1]   the group's sorted set (member channel -> time added)
  KEYS[2]   the liveness sorted set (inbox -> last heartbeat, ms)
  ARGV[1]   list key prefix: a member's list is ARGV[1] .. (its inbox or its own name)
  ARGV[2]   now (ms)
  ARGV[3]   heartbeat timeout (ms)
  ARGV[4]   capacity of an inbox
  ARGV[5]   list ttl (ms)
  ARGV[6]   envelope head: MessagePack array header, protocol version, send time
  ARGV[7]   the packed message
  ARGV[8]   the group's name

  An envelope is [version, sentAt, target, message] (schemas/codec.ts); for an inbox the
  target is [group, member, member, ...].

  Returns   {inboxes pushed to, inboxes skipped because full, {ordinary-channel members}}
]]
--@include live-members.lua

local byInbox, inboxes, plain = liveMembers(KEYS[1], KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3]))
local pushed, full = 0, 0

local capacity = tonumber(ARGV[4])

for _, inbox in ipairs(inboxes) do
  local list = ARGV[1] .. inbox
  if redis.call('LLEN', list) >= capacity then
    full = full + 1
  else
    local target = { ARGV[8] }
    for _, member in ipairs(byInbox[inbox]) do
      target[#target + 1] = member
    end
    redis.call('RPUSH', list, ARGV[6] .. cmsgpack.pack(target) .. ARGV[7])
    redis.call('PEXPIRE', list, ARGV[5])
    pushed = pushed + 1
  end
end
return { pushed, full, plain }
