-- wrk script: POST the JSON body in the file given after `--`, count non-200 answers as errors.
local body
function init(args)
  local file = assert(io.open(args[1], "rb"))
  body = file:read("*a")
  file:close()
end
function request()
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
