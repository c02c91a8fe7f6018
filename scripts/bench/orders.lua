-- End-to-end change orders: each wrk thread (run with -t N -c N, one connection each) owns one
-- subscription of BENCH_SUBSCRIPTION_IDS (comma-separated) and loops: submit a change order
-- (RAM additional 1, then back to 0), pay its invoice by card when it has one, read the order
-- until it is completed, and again. Completed orders are counted from the database by run.sh.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local print_summary = done

local ids = {}
for id in string.gmatch(os.getenv("BENCH_SUBSCRIPTION_IDS") or "", "%d+") do ids[#ids + 1] = id end
local next_thread = 1
local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
   if next_thread > #ids then error("more wrk threads than BENCH_SUBSCRIPTION_IDS") end
   thread:set("subscription_id", ids[next_thread])
   thread:set("thread_number", next_thread)
   next_thread = next_thread + 1
end

local headers = {
   ["Authorization"] = os.getenv("BENCH_AUTHORIZATION"),
   ["Content-Type"] = "application/json",
}
local state = "submit"   -- submit → (pay) → poll → submit
local additional = 1     -- the RAM units the next order asks for: 1, 0, 1, 0, …
local order_id, invoice_id
local submitted = 0
local polls = 0
unexpected = 0  -- a global: done() reads it with thread:get

function request()
   if state == "submit" then
      submitted = submitted + 1
      headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", os.time(), thread_number, submitted)
      return wrk.format("POST", "/api/v1/subscriptions/" .. subscription_id .. "/orders", headers,
         '{"resources":[{"resource_code":"ram_gb","additional":' .. additional .. '}]}')
   elseif state == "pay" then
      headers["Idempotency-Key"] = nil
      return wrk.format("POST", "/api/v1/invoices/" .. invoice_id .. "/payments", headers,
         '{"method":"card","card_number":"4242424242424242"}')
   else
      headers["Idempotency-Key"] = nil
      return wrk.format("GET", "/api/v1/orders/" .. order_id, headers)
   end
end


function response(status, headers, body)
   if state == "submit" then
      if status ~= 201 then
         unexpected = unexpected + 1
         io.stderr:write("orders.lua: submit answered " .. status .. ": " .. string.sub(body, 1, 200) .. "\n")
         return
      end
      order_id = string.match(body, '"id":(%d+)')
      invoice_id = string.match(body, '"invoice_id":(%d+)')
      state = invoice_id and "pay" or "poll"
      polls = 0
   elseif state == "pay" then
      if status ~= 201 then
         unexpected = unexpected + 1
         io.stderr:write("orders.lua: payment answered " .. status .. ": " .. string.sub(body, 1, 200) .. "\n")
      end
      state = "poll"
   else
      local order_status = string.match(body, '"status":"([%a_]+)"')
      if order_status == "completed" then
         additional = 1 - additional
         state = "submit"
      elseif order_status ~= "awaiting_payment" and order_status ~= "provisioning" then
         unexpected = unexpected + 1
         io.stderr:write("orders.lua: order " .. order_id .. " is " .. tostring(order_status) .. "\n")
         additional = 1 - additional
         state = "submit"
      end
   end
end

-- Read an order at once, then after 1, 2, 4, 8 and every 16 ms until it completes: quick for one client,
-- and 32 clients reading in a tight loop would take the server's CPU from the orders themselves.
function delay()
   if state ~= "poll" then return 0 end
   polls = polls + 1
   return math.min(2 ^ (polls - 2), 16)
end

-- The summary line, and how many answers were not the expected ones (also on stderr as they come).
function done(summary, latency, requests)
   print_summary(summary, latency, requests)
   local total = 0
   for _, thread in ipairs(threads) do total = total + thread:get("unexpected") end
   io.write(string.format("BENCH unexpected=%d\n", total))
end
