-- POST /products with a unique sku per request; the token comes from the environment.
local counter = 0
local thread_id = 0
local next_thread_id = 0

function setup(thread)
  next_thread_id = next_thread_id + 1
  thread:set("thread_id", next_thread_id)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"sku": "BENCH-%s-%d-%d", "name": "Bench product", "price": "19.99", "stock": 5}',
    os.getenv("BENCH_RUN") or "x", thread_id, counter
  )
  return wrk.format("POST", "/products", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }, body)
end
