"""Lua scripts that make each frontier step atomic in Redis (see crawler.scheduler.codec for layouts)."""

from __future__ import annotations

from typing import Final

# ADMIT: decide for a batch of discovered links of one target shard.
# KEYS[1] queue zset, KEYS[2] host-sequence hash, KEYS[3] site-budget hash,
# KEYS[4] link-check budget hash (per target host; expires every cycle, which resets it)
# ARGV[1] now (due units), ARGV[2] max pages per site per cycle, ARGV[3] wait-list key prefix,
# ARGV[4] max link checks per target host per cycle, ARGV[5] cycle length in seconds,
# then per link 9 values:
#   seen-key, fp, payload, host, site_id ("" = no budget, "@check" = the link-check budget of the
#   target host), interval (due units), force (0/1; 2 = report only: known or pending statuses, never
#   queued), waiter (JSON or ""), first (1 = record when a new URL is first offered: the crawled pages
#   of a site; 2 = the same, even when over budget: list entries; 0 = no history)
# Returns two values per link: its code (-1 queued, -2 over budget, -3 waiting for a pending fetch, -4 not
# followed (report only, not known), or the known status code (>= 1) of a URL fetched recently enough)
# and its history (codec.History: the bits of the seen value above 32; 0 when none is recorded).
# Seen values may exceed 32 bits (the history), so they are written with string.format('%.0f'), exact
# below 2^53.
ADMIT: Final = """
local now = tonumber(ARGV[1])
local budget = tonumber(ARGV[2])
local wait_prefix = ARGV[3]
local check_budget = tonumber(ARGV[4])
local cycle_seconds = tonumber(ARGV[5])
local TWO32 = 4294967296
local first_seen_now = math.max(1, math.floor(now / 6))  -- due units are 10 minutes, first-seen hours
local out = {}
local min_seq = nil
local checks_counted = false
local i = 6
while i <= #ARGV do
  local seen_key, fp, payload, host = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3]
  local site, interval, force, waiter = ARGV[i+4], tonumber(ARGV[i+5]), ARGV[i+6], ARGV[i+7]
  local first = ARGV[i+8]
  i = i + 9
  local value = tonumber(redis.call('HGET', seen_key, fp) or '-1')
  local due, exp, status, history = -1, 0, 0, 0
  if value >= 0 then
    history = math.floor(value / TWO32)
    local low = value % TWO32
    due = math.floor(low / 1024)
    exp = math.floor(low / 64) % 16
    status = low % 64
  elseif first ~= '0' then
    history = first_seen_now
  end
  local result
  if force ~= '1' and value >= 0 and due > now then
    if status == 0 then result = -3 else result = status end
  elseif force == '2' then
    result = -4
  elseif site == '@check' and check_budget > 0
      and tonumber(redis.call('HINCRBY', KEYS[4], host, 1)) > check_budget then
    checks_counted = true
    result = -2
  elseif budget > 0 and site ~= '' and site ~= '@check' and force ~= '1'
      and tonumber(redis.call('HINCRBY', KEYS[3], site, 1)) > budget then
    -- not fetched this cycle, but seen now: due at once, its first-seen time kept
    if value < 0 and first == '2' then
      redis.call('HSET', seen_key, fp, string.format('%.0f', history * TWO32))
    end
    result = -2
  else
    if site == '@check' then checks_counted = true end
    if force == '1' and site ~= '' and site ~= '@check' then redis.call('HINCRBY', KEYS[3], site, 1) end
    -- due in whole units after the current (partial) one: never sooner than the interval
    redis.call('HSET', seen_key, fp,
               string.format('%.0f', history * TWO32 + (now + 1 + interval) * 1024 + exp * 64))
    if min_seq == nil then
      local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
      min_seq = tonumber(first[2] or '0')
    end
    local seq = tonumber(redis.call('HINCRBY', KEYS[2], host, 1))
    if seq < min_seq then
      seq = min_seq + 1
      redis.call('HSET', KEYS[2], host, seq)
    end
    redis.call('ZADD', KEYS[1], seq, payload)
    result = -1
  end
  if (result == -1 or result == -3) and waiter ~= '' then
    redis.call('RPUSH', wait_prefix .. fp, waiter)
  end
  out[#out+1] = result
  out[#out+1] = history
end
if checks_counted then redis.call('EXPIRE', KEYS[4], cycle_seconds, 'NX') end
return out
"""

# POP: move up to ARGV[1] requests of an owned shard from its queue to its in-flight hash, each with what
# the frontier remembers of its URL.
# KEYS[1] queue zset, KEYS[2] in-flight hash, KEYS[3] lease key, KEYS[4] list-page hash (`listed`);
# ARGV[2] worker id, ARGV[3] the shard's seen-key prefix, ARGV[4] seen buckets (codec.bucket_of).
# Returns three values per request: the payload, its URL's history (see ADMIT), and its list-page record
# ("" if none; codec.Listed).
POP: Final = """
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return false end
local items = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[1]))
local seen_prefix, buckets = ARGV[3], tonumber(ARGV[4])
local out = {}
for j = 1, #items, 2 do
  local payload = items[j]
  local fp = string.sub(payload, 1, 8)
  redis.call('HSET', KEYS[2], fp, payload)
  local b1, b2, b3, b4 = string.byte(fp, 1, 4)
  local bucket = (((b1 * 256 + b2) * 256 + b3) * 256 + b4) % buckets
  local value = redis.call('HGET', seen_prefix .. bucket, fp)
  out[#out+1] = payload
  out[#out+1] = value and math.floor(tonumber(value) / 4294967296) or 0
  out[#out+1] = redis.call('HGET', KEYS[4], fp) or ''
end
return out
"""

# SETTLE: record the outcome of a fetch and read (not yet remove) the links waiting for it.
# KEYS[1] seen bucket, KEYS[2] wait list, KEYS[3] column content hashes, KEYS[4] list-page hash (`listed`)
# ARGV: fp, status, now, interval (units; 0 = adaptive column), content signature ("" = not modified),
# min units, max exponent, backdated (1 = mark the URL's history backdated), list ("" = not a list page,
# "=" = a list page unchanged since its last read, else "+" and the packed entries it lists: codec.Listed)
SETTLE: Final = """
local fp, status, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local interval, content = tonumber(ARGV[4]), ARGV[5]
local TWO32 = 4294967296
local value = tonumber(redis.call('HGET', KEYS[1], fp) or '0')
local history = math.floor(value / TWO32)
local exp = math.floor((value % TWO32) / 64) % 16
if ARGV[8] == '1' and history % 1048576 > 0 and history < 1048576 then history = history + 1048576 end
local list = ARGV[9]
if list ~= '' then
  if list == '=' then
    local previous = redis.call('HGET', KEYS[4], fp)
    list = previous and string.sub(previous, 5) or ''
  else
    list = string.sub(list, 2)
  end
  redis.call('HSET', KEYS[4], fp, struct.pack('>I4', now) .. list)
end
if interval == 0 then
  -- An adaptive column: content "" means the server answered 304 Not Modified.
  local min_units, max_exp = tonumber(ARGV[6]), tonumber(ARGV[7])
  local previous = redis.call('HGET', KEYS[3], fp)
  if content ~= '' and previous and previous ~= content then
    exp = math.max(0, exp - 1)
  elseif content == '' or previous then
    exp = math.min(max_exp, exp + 1)
  end
  if content ~= '' then redis.call('HSET', KEYS[3], fp, content) end
  interval = min_units * math.pow(2, exp)
end
redis.call('HSET', KEYS[1], fp,
           string.format('%.0f', history * TWO32 + (now + 1 + interval) * 1024 + exp * 64 + status))
return redis.call('LRANGE', KEYS[2], 0, -1)
"""

# ACK: a request and everything it produced are stored; forget it. KEYS[1] in-flight, KEYS[2] wait list.
ACK: Final = """
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
"""

# RECOVER: after taking a shard over, put back whatever its previous owner held but never acknowledged.
# KEYS[1] queue, KEYS[2] in-flight, KEYS[3] lease; ARGV[1] worker id
RECOVER: Final = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end
local held = redis.call('HVALS', KEYS[2])
for _, payload in ipairs(held) do redis.call('ZADD', KEYS[1], 0, payload) end
redis.call('DEL', KEYS[2])
return #held
"""

# RENEW: extend this worker's lease. KEYS[1] lease; ARGV[1] worker id, ARGV[2] lease (ms), ARGV[3] '1' to
# take a lease that no longer exists (expired while this worker stalled, or lost with a Redis restart):
# nobody else holds it, so this worker keeps the shard and its buffered work.
# Returns 1 renewed, 2 taken again, 0 held by another worker (or gone, without ARGV[3]).
RENEW: Final = """
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if not owner and ARGV[3] == '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 2
end
return 0
"""

# RELEASE: give up an owned shard, returning what this worker still held to the queue first.
# KEYS[1] queue, KEYS[2] in-flight, KEYS[3] lease, KEYS[4] the receiver's list of shards handed to it;
# ARGV[1] worker id, ARGV[2] receiver ("" = free the shard for any worker), ARGV[3] lease (ms), ARGV[4]
# the shard. A receiver (load balancing) gets the lease and the shard in its list; it adopts the shard
# when it next reads the list, or the lease expires and the shard is free.
RELEASE: Final = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
local held = redis.call('HVALS', KEYS[2])
for _, payload in ipairs(held) do redis.call('ZADD', KEYS[1], 0, payload) end
redis.call('DEL', KEYS[2])
if ARGV[2] == '' then
  redis.call('DEL', KEYS[3])
else
  redis.call('SET', KEYS[3], ARGV[2], 'PX', tonumber(ARGV[3]))
  redis.call('RPUSH', KEYS[4], ARGV[4])
  redis.call('PEXPIRE', KEYS[4], tonumber(ARGV[3]))
end
return 1
"""

# RENEW_HELD: the lease thread's renewal (crawler/scheduler/leases.py): keep this worker in the live set
# and extend only the leases it still holds; never takes one back.
# KEYS[1] live-worker zset, KEYS[2] this worker's info hash, KEYS[3..] leases of the shards it owns;
# ARGV[1] worker id, ARGV[2] now (ms), ARGV[3] lease (ms). Returns how many leases were extended.
RENEW_HELD: Final = """
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]) * 4)
local renewed = 0
for i = 3, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[3])
    renewed = renewed + 1
  end
end
return renewed
"""

# RECHECK: make known URLs due now, keeping their revisit exponent, last status and history
# (`scrapy recheck`). KEYS: seen buckets, one per URL; ARGV: the URLs' fingerprints, in the same order.
# A URL never admitted stays unknown; returns how many were known.
RECHECK: Final = """
local known = 0
for i = 1, #KEYS do
  local value = redis.call('HGET', KEYS[i], ARGV[i])
  if value then
    value = tonumber(value)
    local history = math.floor(value / 4294967296)
    redis.call('HSET', KEYS[i], ARGV[i], string.format('%.0f', history * 4294967296 + value % 1024))
    known = known + 1
  end
end
return known
"""

# MARK_BACKDATED: mark crawled pages whose first-seen time is recorded as backdated (their list showed
# them with a forged date). KEYS: seen buckets, one per URL; ARGV: the URLs' fingerprints. Returns how
# many were marked now.
MARK_BACKDATED: Final = """
local marked = 0
for i = 1, #KEYS do
  local value = redis.call('HGET', KEYS[i], ARGV[i])
  if value then
    value = tonumber(value)
    local history = math.floor(value / 4294967296)
    if history % 1048576 > 0 and history < 1048576 then
      redis.call('HSET', KEYS[i], ARGV[i], string.format('%.0f', value + 1048576 * 4294967296))
      marked = marked + 1
    end
  end
end
return marked
"""
