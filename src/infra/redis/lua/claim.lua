--[[
  claim.lua — take up to COUNT new work entries for one consumer and return each with its job
  head, in one round trip: by priority (strictly, or shared by weights), within the global rate
  limits and concurrency keys (ADR 0039).

  KEYS[1..K] work streams of one shard, highest level first (<p>:{s}:work:<queue>:<level>)

  ARGV[1] consumer group   ARGV[2] consumer name   ARGV[3] COUNT
  ARGV[4] shard tag (<p>:{s}:): head, limit and concurrency-key keys are built from it
  ARGV[5] now in ms ('' = the server's TIME; tests pass a manual clock)
  ARGV[6] '1' to return the streams' cursors when nothing is claimed (for a blocking wait)
  ARGV[7] F, the number of head fields; ARGV[8..7+F] the head fields to return with each entry
          (head-codec.ts HEAD_FIELDS)
  then K level numbers (1..4), one per stream, and 4 shares, one per level: how many entries a
          first pass takes from that level's streams (the weighted fairness of ADR 0039; strict
          fairness passes 0 for all)
  then L, the number of rate limits, and L triples: scope ('queue' or 'type'), name, emission
          interval in ms (window / count, times the shard count)

  Returns {rows, waitMs, cursors}: rows is a list of {stream, entryId, jobId, then the head
  fields in that order} (a field is false when missing); waitMs is -1 when nothing was held back,
  else the ms until a rate limit that held an entry back allows a start again (0: unknown, a
  concurrency key is full); cursors (only when asked and no row is returned) holds each stream's
  last entry id ('0-0' if empty), for an XREAD BLOCK that wakes on new entries only.

  Order: a first pass takes each stream's share (strict: none), a second fills what is left,
  highest level first. Within a stream, oldest first.

  Rate limits are GCRA without burst (delivery-policy.ts gcra): the state of a limit is its
  theoretical arrival time in µs, <tag>limit:<scope>:<name>, expiring when it no longer matters. A
  rate-limited queue's streams are not read at all while its limit holds; an entry of a
  rate-limited type, or with a full concurrency key, is put back: acknowledged, deleted and
  added again at the end of its stream with the same fields (its head's entryId follows), so it
  stays queued and no attempt is recorded for it. At most SCAN entries are looked at per call.

  Concurrency keys: a job whose spec part has concurrencyKey k (limit concurrencyLimit, default
  1) holds a slot in the set <tag>ckey:<k> from its claim until its entry leaves the group's
  pending list — acknowledged when the attempt ends in any way, or the job is cancelled; a dead
  worker's entry is pending until a reclaim fails its attempt — so members whose entry is no
  longer pending are dropped before counting.

  The head fields are read from the entry itself, which append.lua writes as jobId followed by
  the head's fields in this order when the job becomes queued (ADR 0011, 0033). An entry laid
  out otherwise has its head read with HMGET.
]]
local SCAN = 256
local group, consumer, tag = ARGV[1], ARGV[2], ARGV[4]
local remaining = tonumber(ARGV[3])
-- The time in µs, read only when a rate limit needs it: a script that calls TIME measured
-- twice as slow in its XREADGROUPs (Redis 7.0), so a claim without limits never does.
local now = nil
local function clock()
  if now == nil then
    if ARGV[5] == '' then
      local t = redis.call('TIME')
      now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    else
      now = tonumber(ARGV[5]) * 1000
    end
  end
  return now
end
local wantCursors = ARGV[6] == '1'
local nfields = tonumber(ARGV[7])
local fields = {}
for i = 1, nfields do fields[i] = ARGV[7 + i] end
local p = 8 + nfields
local levelOf, shares = {}, {}
for i = 1, #KEYS do levelOf[i] = tonumber(ARGV[p + i - 1]) end
p = p + #KEYS
for l = 1, 4 do shares[l] = tonumber(ARGV[p + l - 1]) end
p = p + 4
local limits = {queue = {}, type = {}}
local anyType = false
for i = 1, tonumber(ARGV[p]) do
  local scope, name, interval = ARGV[p + 3 * i - 2], ARGV[p + 3 * i - 1], tonumber(ARGV[p + 3 * i])
  limits[scope][name] = interval * 1000
  if scope == 'type' then anyType = true end
end

local waitMs = -1
local function heldBack(ms)
  if waitMs < 0 or ms < waitMs then waitMs = ms end
end

-- GCRA state in whole microseconds (rounded up, so starts are never closer than the interval),
-- read once per call and written back at the end.
local tats, intervals, charged = {}, {}, {}
local function limitKey(scope, name) return tag .. 'limit:' .. scope .. ':' .. name end
local function conforms(key)
  if tats[key] == nil then tats[key] = tonumber(redis.call('GET', key) or '0') end
  if tats[key] > clock() then
    heldBack(math.ceil((tats[key] - now) / 1000))
    return false
  end
  return true
end
local function charge(key, interval)
  tats[key] = math.ceil(clock() + interval)
  intervals[key] = interval
  charged[key] = true
end

-- Concurrency keys: the set's members whose entry is still pending, counted once per call.
local held = {}
local function slotsHeld(set)
  if held[set] == nil then
    local n = 0
    for _, member in ipairs(redis.call('SMEMBERS', set)) do
      local stream, id = string.match(member, '^(.*) ([^ ]+)$')
      local pending = stream and redis.call('XPENDING', stream, group, id, id, 1)
      if pending and pending[1] then n = n + 1 else redis.call('SREM', set, member) end
    end
    held[set] = n
  end
  return held[set]
end

local function idBefore(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, bm = tonumber(am), tonumber(bm)
  return am < bm or (am == bm and tonumber(as) < tonumber(bs))
end

local out = {}
local scanned = 0
local finished = {}
-- Per stream, the id the first entry put back got: reaching it again means the stream wrapped.
local wrapAt = {}

-- Put an entry back at the end of its stream: it stays queued, its job's head follows it.
local function putBack(i, entry)
  local key, id, e = KEYS[i], entry[1], entry[2]
  redis.call('XACK', key, group, id)
  redis.call('XDEL', key, id)
  local newId = redis.call('XADD', key, '*', unpack(e))
  local head = tag .. 'job:' .. e[2]
  if redis.call('HGET', head, 'entryId') == id then redis.call('HSET', head, 'entryId', newId) end
  if wrapAt[i] == nil then wrapAt[i] = newId end
end

-- May this entry start now? Returns the charges to make if it does (nil: hold it back).
local NONE = {}
local function admit(queueKey, spec)
  -- Nothing to decide (no limit configured, no key): the common case, without a table per entry.
  if not queueKey and not anyType and not (spec and string.find(spec, '"concurrencyKey"', 1, true)) then
    return NONE, nil
  end
  local charges = {}
  if queueKey then charges[#charges + 1] = queueKey end
  if anyType and spec then
    local jobType = string.match(spec, '"jobType":"([^"]*)"')
    local interval = jobType and limits.type[jobType]
    if interval then
      local key = limitKey('type', jobType)
      if not conforms(key) then return nil end
      charges[#charges + 1] = key
      intervals[key] = interval
    end
  end
  local ckey = nil
  if spec and string.find(spec, '"concurrencyKey"', 1, true) then
    local s = cjson.decode(spec)
    if type(s.concurrencyKey) == 'string' then
      ckey = tag .. 'ckey:' .. s.concurrencyKey
      local limit = tonumber(s.concurrencyLimit) or 1
      if slotsHeld(ckey) >= limit then
        heldBack(0)
        return nil
      end
    end
  end
  return charges, ckey
end

-- Take up to `want` entries from stream i; returns how many were taken.
local function take(i, want)
  local key = KEYS[i]
  local queue = string.match(key, ':work:(.+):%d+$')
  local qInterval = queue and limits.queue[queue]
  local queueKey = qInterval and limitKey('queue', queue)
  if queueKey then intervals[queueKey] = qInterval end
  local taken = 0
  while want > 0 and remaining > 0 and not finished[i] and scanned < SCAN do
    local n = math.min(want, remaining, SCAN - scanned)
    -- A rate-limited queue is read one entry per conforming start: it must not deliver more.
    if queueKey then
      if not conforms(queueKey) then break end
      n = 1
    end
    local res = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', n, 'STREAMS', key, '>')
    if not res then
      finished[i] = true
      break
    end
    local entries = res[1][2]
    if #entries < n then finished[i] = true end
    for _, entry in ipairs(entries) do
      scanned = scanned + 1
      local e = entry[2]
      local jobId = e[2]
      if wrapAt[i] ~= nil and not idBefore(entry[1], wrapAt[i]) then
        -- Put back earlier in this call: the stream has nothing more to offer now.
        putBack(i, entry)
        finished[i] = true
      else
        local row = {key, entry[1], jobId}
        local spec = nil
        local carried = true
        for f = 1, nfields do
          if e[2 * f + 1] ~= fields[f] then carried = false break end
          row[#row + 1] = e[2 * f + 2]
          if fields[f] == 'spec' then spec = e[2 * f + 2] end
        end
        if not carried then
          local h = redis.call('HMGET', tag .. 'job:' .. jobId, unpack(fields))
          row = {key, entry[1], jobId}
          for f = 1, nfields do
            row[#row + 1] = h[f] or false
            if fields[f] == 'spec' then spec = h[f] or nil end
          end
        end
        local charges, ckey = admit(queueKey, spec)
        if charges then
          for _, k in ipairs(charges) do charge(k, intervals[k]) end
          if ckey then
            redis.call('SADD', ckey, key .. ' ' .. entry[1])
            held[ckey] = held[ckey] + 1
          end
          out[#out + 1] = row
          remaining = remaining - 1
          want = want - 1
          taken = taken + 1
        else
          putBack(i, entry)
        end
      end
    end
  end
  return taken
end

-- First pass: each stream's share (weighted fairness); second: the rest, highest level first.
for i = 1, #KEYS do
  local l = levelOf[i]
  if shares[l] > 0 then shares[l] = shares[l] - take(i, shares[l]) end
end
for i = 1, #KEYS do take(i, remaining) end

for key in pairs(charged) do
  local tat = tats[key]
  -- Kept a minute past its TAT (then it is as good as absent): expiry runs on the server's
  -- clock, which a test's manual clock does not move.
  redis.call('SET', key, string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 60000)
end
if scanned >= SCAN and #out == 0 then heldBack(0) end

local cursors = {}
if wantCursors and #out == 0 then
  for i = 1, #KEYS do
    local last = redis.call('XREVRANGE', KEYS[i], '+', '-', 'COUNT', 1)
    cursors[i] = last[1] and last[1][1] or '0-0'
  end
end
return {out, waitMs, cursors}
