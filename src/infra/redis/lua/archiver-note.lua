--[[
  archiver-note.lua — note how many segments a shard's archive holds (ADR 0028), never lowering
  the number: a stale or slow archiver's note cannot undo a newer one. A hint beside the lease:
  an archiver whose archive holds fewer segments refuses to continue it (another directory).

  KEYS[1] noted progress hash   <p>:{archiver}:archived   field: shard, value: segments
  ARGV[1] shard   ARGV[2] segments

  Returns the number noted after the call.
]]
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local given = tonumber(ARGV[2])
if given > current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return given
end
return current
