-- Wireshark dissector for Relayscope captures exported as pcapng (relayscope convert FILE.mcap FILE.pcapng).
--
-- Each packet is an exported PDU (link type 252) whose dissector-name tag is "relayscope"; Wireshark's
-- exported_pdu dissector finds this Proto by that name (a Lua Proto with a dissector function is
-- registered as a dissector under its own name). The bytes after the tags are the Relayscope PDU laid
-- out in electron/capture/pcapngLayout.ts and docs/CAPTURE.md ("Export formats"):
--   u8 version, u8 kind, u8 flags, u8 event, u32 correlation id (events: code),
--   u16 source length S, u16 destination length D, S bytes source, D bytes destination, payload
-- big-endian. The numbers below repeat pcapngLayout.ts; test/capture/exportTshark.test.ts checks they agree.
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

local KIND_NAMES = { [0] = "unicast", [1] = "broadcast", [2] = "request", [3] = "reply", [4] = "event" }
local EVENT_NAMES = { [1] = "join", [2] = "leave", [3] = "error", [4] = "monitor-dropped" }

local f = {
  version = ProtoField.uint8("relayscope.version", "PDU version"),
  kind = ProtoField.string("relayscope.kind", "Kind"),
  flags = ProtoField.uint8("relayscope.flags", "Flags", base.HEX),
  injected = ProtoField.bool("relayscope.injected", "Injected", 8, nil, FLAG_INJECTED),
  broadcast = ProtoField.bool("relayscope.broadcast", "Broadcast", 8, nil, FLAG_BROADCAST),
  json = ProtoField.bool("relayscope.json", "Payload is JSON", 8, nil, FLAG_JSON),
  corr = ProtoField.uint32("relayscope.corr", "Correlation ID"),
  src = ProtoField.string("relayscope.src", "Source", base.UNICODE),
  dst = ProtoField.string("relayscope.dst", "Destination", base.UNICODE),
  len = ProtoField.uint32("relayscope.len", "Payload length"),
  payload = ProtoField.bytes("relayscope.payload", "Payload"),
  event = ProtoField.string("relayscope.event", "Event"),
  event_module = ProtoField.string("relayscope.event.module", "Module", base.UNICODE),
  event_code = ProtoField.uint32("relayscope.event.code", "Code"),
  event_detail = ProtoField.string("relayscope.event.detail", "Detail", base.UNICODE),
}
relayscope.fields = f

local e_malformed = ProtoExpert.new("relayscope.malformed", "Malformed Relayscope PDU", expert.group.MALFORMED, expert.severity.ERROR)
relayscope.experts = { e_malformed }

local json = Dissector.get("json")

-- A UTF-8 string field over `length` bytes at `offset` (an empty range is allowed at the end of the PDU).
local function add_text(tree, field, tvb, offset, length)
  return tree:add_packet_field(field, tvb(offset, length), ENC_UTF_8)
end

local function dissect_event(tvb, pinfo, tree, module_len, detail_offset)
  local name = EVENT_NAMES[tvb(3, 1):uint()] or ("event " .. tvb(3, 1):uint())
  tree:add(f.event, tvb(3, 1), name)
  tree:add(f.event_code, tvb(4, 4))
  local module = tvb(HEADER_BYTES, module_len):string(ENC_UTF_8)
  add_text(tree, f.event_module, tvb, HEADER_BYTES, module_len)
  local detail = tvb(detail_offset, tvb:len() - detail_offset):string(ENC_UTF_8)
  add_text(tree, f.event_detail, tvb, detail_offset, tvb:len() - detail_offset)
  pinfo.cols.info = string.format("%s %s %s", name, module, detail)
end

local function dissect_message(tvb, pinfo, tree, root, kind, src_len, dst_len)
  local flags = tvb(2, 1):uint()
  local flag_tree = tree:add(f.flags, tvb(2, 1))
  flag_tree:add(f.injected, tvb(2, 1))
  flag_tree:add(f.broadcast, tvb(2, 1))
  flag_tree:add(f.json, tvb(2, 1))
  tree:add(f.corr, tvb(4, 4))
  local src = tvb(HEADER_BYTES, src_len):string(ENC_UTF_8)
  add_text(tree, f.src, tvb, HEADER_BYTES, src_len)
  local dst = "*"
  if bit.band(flags, FLAG_BROADCAST) == 0 then
    dst = tvb(HEADER_BYTES + src_len, dst_len):string(ENC_UTF_8)
    add_text(tree, f.dst, tvb, HEADER_BYTES + src_len, dst_len)
  end
  local payload_offset = HEADER_BYTES + src_len + dst_len
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
  pinfo.cols.info = string.format("%s -> %s %s%s corr=%d %d bytes%s", src, dst, kind, injected, tvb(4, 4):uint(), payload_len, is_json and " JSON" or "")
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
