-- Wireshark dissector for Relayscope captures exported as pcapng (relayscope convert FILE.mcap FILE.pcapng).
--
-- Each packet is an exported PDU (link type 252) whose dissector-name tag is "relayscope"; Wireshark's
-- exported_pdu dissector finds this Proto by that name (a Lua Proto with a dissector function is
-- registered as a dissector under its own name). The bytes after the tags are the Relayscope PDU laid
-- out in electron/capture/pcapngLayout.ts and docs/CAPTURE.md ("Export formats"):
--   u8 version, u8 kind, u8 flags, u8 event, u32 correlation id (events: code),
--   u16 source length S, u16 destination length D, S bytes source, D bytes destination,
--   with flag TAPPED a u64 stream offset, payload
-- big-endian. A join event's detail is the peer's identity as a JSON object, decoded into relayscope.peer.*. The numbers below repeat pcapngLayout.ts; test/capture/exportTshark.test.ts checks they agree.
--
-- Use: tshark -X lua_script:wireshark/relayscope.lua -r FILE.pcapng
-- or copy this file into Wireshark's personal Lua plugins folder (Help > About Wireshark > Folders).

local relayscope = Proto("relayscope", "Relayscope relayed message")

local PDU_VERSION = 1
local HEADER_BYTES = 12
local EVENT_KIND = 4
local FLAG_INJECTED = 0x01
local FLAG_BROADCAST = 0x02
local FLAG_JSON = 0x04
local FLAG_TAPPED = 0x08
local FLAG_TAP_TO_CLIENT = 0x10
local FLAG_TAP_PARTIAL = 0x20
local OFFSET_BYTES = 8
local JOIN_EVENT = 1

local KIND_NAMES = { [0] = "unicast", [1] = "broadcast", [2] = "request", [3] = "reply", [4] = "event" }
local EVENT_NAMES = { [1] = "join", [2] = "leave", [3] = "error", [4] = "monitor-dropped" }

local f = {
  version = ProtoField.uint8("relayscope.version", "PDU version"),
  kind = ProtoField.string("relayscope.kind", "Kind"),
  flags = ProtoField.uint8("relayscope.flags", "Flags", base.HEX),
  injected = ProtoField.bool("relayscope.injected", "Injected", 8, nil, FLAG_INJECTED),
  broadcast = ProtoField.bool("relayscope.broadcast", "Broadcast", 8, nil, FLAG_BROADCAST),
  json = ProtoField.bool("relayscope.json", "Payload is JSON", 8, nil, FLAG_JSON),
  tapped = ProtoField.bool("relayscope.tapped", "Tapped chunk", 8, nil, FLAG_TAPPED),
  tap_direction = ProtoField.string("relayscope.tap.direction", "Tap direction"),
  tap_offset = ProtoField.uint64("relayscope.tap.offset", "Offset in the stream"),
  tap_partial = ProtoField.bool("relayscope.tap.partial", "Partial", 8, nil, FLAG_TAP_PARTIAL),
  corr = ProtoField.uint32("relayscope.corr", "Correlation ID"),
  src = ProtoField.string("relayscope.src", "Source", base.UNICODE),
  dst = ProtoField.string("relayscope.dst", "Destination", base.UNICODE),
  len = ProtoField.uint32("relayscope.len", "Payload length"),
  payload = ProtoField.bytes("relayscope.payload", "Payload"),
  event = ProtoField.string("relayscope.event", "Event"),
  event_module = ProtoField.string("relayscope.event.module", "Module", base.UNICODE),
  event_code = ProtoField.uint32("relayscope.event.code", "Code"),
  event_detail = ProtoField.string("relayscope.event.detail", "Detail", base.UNICODE),
  peer_pid = ProtoField.uint32("relayscope.peer.pid", "Peer pid"),
  peer_uid = ProtoField.uint32("relayscope.peer.uid", "Peer uid"),
  peer_gid = ProtoField.uint32("relayscope.peer.gid", "Peer gid"),
  peer_exe = ProtoField.string("relayscope.peer.exe", "Peer executable", base.UNICODE),
  peer_arg = ProtoField.string("relayscope.peer.arg", "Peer argument", base.UNICODE),
  peer_framing = ProtoField.string("relayscope.peer.framing", "Plain framing"),
  peer_tap = ProtoField.string("relayscope.peer.tap", "Tap side"),
}
relayscope.fields = f

local e_malformed = ProtoExpert.new("relayscope.malformed", "Malformed Relayscope PDU", expert.group.MALFORMED, expert.severity.ERROR)
relayscope.experts = { e_malformed }

local json = Dissector.get("json")

-- A UTF-8 string field over `length` bytes at `offset` (an empty range is allowed at the end of the PDU).
local function add_text(tree, field, tvb, offset, length)
  return tree:add_packet_field(field, tvb(offset, length), ENC_UTF_8)
end

-- A JSON value at position i of text: returns the value (objects and arrays as tables, null as nil)
-- and the position after it, or nil and nil when the text is not JSON. A join's detail is small and
-- written by the hub (JSON.stringify), so this reads what it writes, not every corner of JSON.
local parse_json_value

local function skip_space(text, i)
  return text:find("[^ \t\r\n]", i) or #text + 1
end

local function utf8_char(code)
  if code < 0x80 then return string.char(code) end
  if code < 0x800 then return string.char(0xc0 + math.floor(code / 0x40), 0x80 + code % 0x40) end
  if code < 0x10000 then return string.char(0xe0 + math.floor(code / 0x1000), 0x80 + math.floor(code / 0x40) % 0x40, 0x80 + code % 0x40) end
  return string.char(0xf0 + math.floor(code / 0x40000), 0x80 + math.floor(code / 0x1000) % 0x40, 0x80 + math.floor(code / 0x40) % 0x40, 0x80 + code % 0x40)
end

local ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function parse_json_string(text, i)
  local out = {}
  i = i + 1
  while i <= #text do
    local c = text:sub(i, i)
    if c == '"' then return table.concat(out), i + 1 end
    if c == "\\" then
      local e = text:sub(i + 1, i + 1)
      if e == "u" then
        local code = tonumber(text:sub(i + 2, i + 5), 16)
        if code == nil then return nil, nil end
        i = i + 6
        local low = text:match("^\\u(%x%x%x%x)", i)
        if code >= 0xd800 and code < 0xdc00 and low ~= nil then
          code = 0x10000 + (code - 0xd800) * 0x400 + (tonumber(low, 16) - 0xdc00)
          i = i + 6
        end
        out[#out + 1] = utf8_char(code)
      elseif ESCAPES[e] ~= nil then
        out[#out + 1] = ESCAPES[e]
        i = i + 2
      else
        return nil, nil
      end
    else
      local run_end = text:find('["\\]', i) or #text + 1
      out[#out + 1] = text:sub(i, run_end - 1)
      i = run_end
    end
  end
  return nil, nil
end

local function parse_json_list(text, i, close, item)
  local result = {}
  i = skip_space(text, i + 1)
  if text:sub(i, i) == close then return result, i + 1 end
  while true do
    i = item(result, text, i)
    if i == nil then return nil, nil end
    i = skip_space(text, i)
    local c = text:sub(i, i)
    if c == close then return result, i + 1 end
    if c ~= "," then return nil, nil end
    i = skip_space(text, i + 1)
  end
end

parse_json_value = function(text, i)
  local c = text:sub(i, i)
  if c == '"' then return parse_json_string(text, i) end
  if c == "{" then
    return parse_json_list(text, i, "}", function(object, s, j)
      if s:sub(j, j) ~= '"' then return nil end
      local key, after = parse_json_string(s, j)
      if key == nil then return nil end
      after = skip_space(s, after)
      if s:sub(after, after) ~= ":" then return nil end
      local value, next_i = parse_json_value(s, skip_space(s, after + 1))
      if next_i == nil then return nil end
      object[key] = value
      return next_i
    end)
  end
  if c == "[" then
    return parse_json_list(text, i, "]", function(array, s, j)
      local value, next_i = parse_json_value(s, j)
      if next_i == nil then return nil end
      array[#array + 1] = value
      return next_i
    end)
  end
  local number = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if number ~= nil and number ~= "" then return tonumber(number), i + #number end
  for word, value in pairs({ ["true"] = true, ["false"] = false }) do
    if text:sub(i, i + #word - 1) == word then return value, i + #word end
  end
  if text:sub(i, i + 3) == "null" then return nil, i + 4 end
  return nil, nil
end

-- A join's detail (PROTOCOL.md 8.2): the peer's identity as a JSON object, as fields under the event.
local function add_identity(tree, range, detail)
  local identity, after = parse_json_value(detail, skip_space(detail, 1))
  if type(identity) ~= "table" or skip_space(detail, after) <= #detail then return end
  for _, name in ipairs({ "pid", "uid", "gid" }) do
    if type(identity[name]) == "number" then tree:add(f["peer_" .. name], range, identity[name]) end
  end
  for _, name in ipairs({ "exe", "framing", "tap" }) do
    if type(identity[name]) == "string" then tree:add(f["peer_" .. name], range, identity[name]) end
  end
  if type(identity.cmdline) == "table" then
    for _, arg in ipairs(identity.cmdline) do
      if type(arg) == "string" then tree:add(f.peer_arg, range, arg) end
    end
  end
end

local function dissect_event(tvb, pinfo, tree, module_len, detail_offset)
  local name = EVENT_NAMES[tvb(3, 1):uint()] or ("event " .. tvb(3, 1):uint())
  tree:add(f.event, tvb(3, 1), name)
  tree:add(f.event_code, tvb(4, 4))
  local module = tvb(HEADER_BYTES, module_len):string(ENC_UTF_8)
  add_text(tree, f.event_module, tvb, HEADER_BYTES, module_len)
  local detail = tvb(detail_offset, tvb:len() - detail_offset):string(ENC_UTF_8)
  add_text(tree, f.event_detail, tvb, detail_offset, tvb:len() - detail_offset)
  if tvb(3, 1):uint() == JOIN_EVENT then add_identity(tree, tvb(detail_offset, tvb:len() - detail_offset), detail) end
  pinfo.cols.info = string.format("%s %s %s", name, module, detail)
end

local function dissect_message(tvb, pinfo, tree, root, kind, src_len, dst_len)
  local flags = tvb(2, 1):uint()
  local flag_tree = tree:add(f.flags, tvb(2, 1))
  flag_tree:add(f.injected, tvb(2, 1))
  flag_tree:add(f.broadcast, tvb(2, 1))
  flag_tree:add(f.json, tvb(2, 1))
  flag_tree:add(f.tapped, tvb(2, 1))
  tree:add(f.corr, tvb(4, 4))
  local src = tvb(HEADER_BYTES, src_len):string(ENC_UTF_8)
  add_text(tree, f.src, tvb, HEADER_BYTES, src_len)
  local dst = "*"
  if bit.band(flags, FLAG_BROADCAST) == 0 then
    dst = tvb(HEADER_BYTES + src_len, dst_len):string(ENC_UTF_8)
    add_text(tree, f.dst, tvb, HEADER_BYTES + src_len, dst_len)
  end
  local payload_offset = HEADER_BYTES + src_len + dst_len
  local tap = ""
  if bit.band(flags, FLAG_TAPPED) ~= 0 then
    if payload_offset + OFFSET_BYTES > tvb:len() then
      tree:add_proto_expert_info(e_malformed, "a tapped chunk without room for its offset")
      return
    end
    local direction = bit.band(flags, FLAG_TAP_TO_CLIENT) ~= 0 and "to-client" or "to-upstream"
    tree:add(f.tap_direction, tvb(2, 1), direction)
    tree:add(f.tap_offset, tvb(payload_offset, OFFSET_BYTES))
    tree:add(f.tap_partial, tvb(2, 1))
    tap = string.format(" %s @%s%s", direction, tostring(tvb(payload_offset, OFFSET_BYTES):uint64()), bit.band(flags, FLAG_TAP_PARTIAL) ~= 0 and " partial" or "")
    kind = "tap"
    payload_offset = payload_offset + OFFSET_BYTES
  end
  local payload_len = tvb:len() - payload_offset
  tree:add(f.len, payload_len)
  -- No payload field for an empty payload: tshark would print an empty bytes field as "<MISSING>".
  if payload_len > 0 then tree:add(f.payload, tvb(payload_offset, payload_len)) end
  local is_json = bit.band(flags, FLAG_JSON) ~= 0 and payload_len > 0 and json ~= nil
  if is_json then
    json:call(tvb(payload_offset, payload_len):tvb(), pinfo, root)
  end
  -- Set after the JSON dissector, which writes its own protocol and info columns.
  local injected = bit.band(flags, FLAG_INJECTED) ~= 0 and " injected" or ""
  pinfo.cols.info = string.format("%s -> %s %s%s%s corr=%d %d bytes%s", src, dst, kind, tap, injected, tvb(4, 4):uint(), payload_len, is_json and " JSON" or "")
end

function relayscope.dissector(tvb, pinfo, root)
  pinfo.cols.protocol = "Relayscope"
  local tree = root:add(relayscope, tvb())
  if tvb:len() < HEADER_BYTES then
    tree:add_proto_expert_info(e_malformed, "shorter than the 12-byte header")
    return tvb:len()
  end
  tree:add(f.version, tvb(0, 1))
  if tvb(0, 1):uint() ~= PDU_VERSION then
    tree:add_proto_expert_info(e_malformed, "unknown PDU version " .. tvb(0, 1):uint())
    return tvb:len()
  end
  local kind_number = tvb(1, 1):uint()
  local kind = KIND_NAMES[kind_number] or ("kind " .. kind_number)
  tree:add(f.kind, tvb(1, 1), kind)
  local src_len = tvb(8, 2):uint()
  local dst_len = tvb(10, 2):uint()
  if HEADER_BYTES + src_len + dst_len > tvb:len() then
    tree:add_proto_expert_info(e_malformed, "module IDs longer than the PDU")
    return tvb:len()
  end
  if kind_number == EVENT_KIND then
    dissect_event(tvb, pinfo, tree, src_len, HEADER_BYTES + src_len + dst_len)
  else
    dissect_message(tvb, pinfo, tree, root, kind, src_len, dst_len)
  end
  pinfo.cols.protocol = "Relayscope"
  return tvb:len()
end
