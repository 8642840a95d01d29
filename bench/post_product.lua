-- POST /products with a unique sku per request; the token comes from the environment.
-- Each wrk thread has its own Lua state: `setup` gives each one a number (a global there).
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"sku": "BENCH-%s-%d-%d", "name": "Bench product", "price": "19.99", "stock": 5}',
    os.getenv("BENCH_RUN") or "x", thread_number, counter
  )
  return wrk.format("POST", "/products", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }, body)
end
