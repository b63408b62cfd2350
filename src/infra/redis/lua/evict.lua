--[[
  evict.lua — finished jobs whose JobEvicted the archive holds leave Redis (ADR 0034): their
  head, their history index and their dependents set are deleted, and they leave every index.
  Their idempotency key is kept ARGV[3] ms more (deleted at once when 0): a repeat in that
  window answers with the archived job instead of making a second one.
  Run by the archiver holding the lease, after its pass; a job whose last event is not yet
  archived, or that is not recorded as evicted, is left alone (and leaves `evicting` in the
  second case: it was put there by mistake, or already went).

  KEYS[1] evicting zset           <p>:{s}:evicting
  KEYS[2] archived-through id     <p>:{s}:archived
  ARGV[1] the shard's key tag, <p>:{s}:
  ARGV[2] how many jobs at most
  ARGV[3] ms an evicted job's idempotency key still answers with it

  Returns the ids of the jobs that left.
]]
local function parse(id)
  local ms, seq = string.match(id or '', '^(%d+)-(%d+)$')
  if not ms then return nil end
  return tonumber(ms), tonumber(seq)
end
local ams, aseq = parse(redis.call('GET', KEYS[2]))
if not ams then return {} end
local tag = ARGV[1]
local keysMs = tonumber(ARGV[3]) or 0
local gone = {}
-- Scored by the JobEvicted entry's ms: only those at or before the archived id's ms can be in.
local candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ams, 'LIMIT', 0, tonumber(ARGV[2]))
for _, jobId in ipairs(candidates) do
  local head = tag .. 'job:' .. jobId
  local history = tag .. 'history:' .. jobId
  local fields = redis.call('HMGET', head, 'live', 'idem')
  local live = fields[1]
  if not live or not string.find(live, '"evicted":true', 1, true) then
    redis.call('ZREM', KEYS[1], jobId)
  else
    local lms, lseq = parse(redis.call('LINDEX', history, -1))
    if lms and (lms < ams or (lms == ams and lseq <= aseq)) then
      local idem = fields[2]
      if idem and redis.call('GET', idem) == jobId then
        if keysMs > 0 then redis.call('PEXPIRE', idem, keysMs) else redis.call('DEL', idem) end
      end
      -- The jobs that named it in dependsOn (ADR 0042) go with it: their own histories still
      -- name it, and a set kept for every job that ever had a dependent would grow forever.
      redis.call('DEL', head, history, tag .. 'dependents:' .. jobId)
      redis.call('ZREM', KEYS[1], jobId)
      redis.call('ZREM', tag .. 'dead', jobId)
      redis.call('ZREM', tag .. 'expires', jobId)
      for _, status in ipairs({'completed', 'cancelled', 'dead_letter'}) do
        redis.call('ZREM', tag .. 'ended:' .. status, jobId)
        redis.call('ZREM', tag .. 'ended-own:' .. status, jobId)
      end
      gone[#gone + 1] = jobId
    end
  end
end
return gone
