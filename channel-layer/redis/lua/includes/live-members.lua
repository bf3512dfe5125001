--[[
  liveMembers(groupKey, aliveKey, now, timeout) -> byInbox, inboxes, plain

  Reads a group's members and sorts them by the process that holds them. Members held by a
  process with no heartbeat since `now - timeout` are removed from the group: they belong to
  a process that died. Members that are ordinary channels (no "!") have no holder and stay.

  byInbox   inbox -> array of its member channels
  inboxes   the live inboxes, in first-seen order
  plain     array of ordinary-channel members
]]
local function liveMembers(groupKey, aliveKey, now, timeout)
  local members = redis.call('ZRANGE', groupKey, 0, -1)
  local byInbox, inboxes, plain = {}, {}, {}
  for _, member in ipairs(members) do
    local bang = string.find(member, '!', 1, true)
    if bang then
      local inbox = string.sub(member, 1, bang)
      local list = byInbox[inbox]
      if not list then
        list = {}
        byInbox[inbox] = list
        inboxes[#inboxes + 1] = inbox
      end
      list[#list + 1] = member
    else
      plain[#plain + 1] = member
    end
  end
  local live = {}
  for _, inbox in ipairs(inboxes) do
    local beat = redis.call('ZSCORE', aliveKey, inbox)
    if beat and tonumber(beat) >= now - timeout then
      live[#live + 1] = inbox
    else
      local dead = byInbox[inbox]
      for i = 1, #dead, 1000 do
        redis.call('ZREM', groupKey, unpack(dead, i, math.min(i + 999, #dead)))
      end
      byInbox[inbox] = nil
    end
  end
  return byInbox, live, plain
end
