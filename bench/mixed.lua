-- Soak mix: 70% GET /products/{id}, 20% GET /products?limit=20, 10% POST /products.
-- BENCH_TOKEN, BENCH_RUN and BENCH_MAX_ID come from the environment.
local counter = 0
local threads = 0
local token = os.getenv("BENCH_TOKEN")
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "1000")

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function request()
  counter = counter + 1
  local auth = {["Authorization"] = "Bearer " .. token}
  local roll = math.random(100)
  if roll <= 70 then
    return wrk.format("GET", "/products/" .. math.random(max_id), auth)
  elseif roll <= 90 then
    return wrk.format("GET", "/products?limit=20", auth)
  end
  auth["Content-Type"] = "application/json"
  local body = string.format(
    '{"sku": "SOAK-%s-%d-%d", "name": "Soak product", "price": "9.99"}',
    os.getenv("BENCH_RUN") or "x", thread_number, counter
  )
  return wrk.format("POST", "/products", auth, body)
end
