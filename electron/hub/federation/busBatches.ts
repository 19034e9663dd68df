import { BatchError, type BatchHeader, BusRecordType, forEachRecord, parseBatchHeader } from '../../protocol/busRecords';
import { FrameError, parseError } from '../../protocol/frameCodec';
import { MessageBody } from '../../protocol/frameWriters';
import { ErrorCode, FrameType, LENGTH_PREFIX_BYTES, MESSAGE_KIND_NAMES, MessageKind } from '../../protocol/protocol';
import type { HubConnection } from '../HubConnection';
import type { HubCore } from '../HubCore';
import { requestKey } from '../Router';
import type { Batch, RemoteHub } from './RemoteHub';

/** What handling a batch needs of the hub besides HubCore (RelayHub provides it). */
export interface BatchTarget extends HubCore {
  busInput(handle: () => void): void;
  relayFromBus(conn: HubConnection, buf: Buffer, start: number, end: number): void;
}

/** The MESSAGE frame's prefix (length and type) in a RELAY record, before the body the router reads. */
const FRAME_PREFIX_BYTES = LENGTH_PREFIX_BYTES + 1;

/**
 * A batch another hub sent this one (docs/FEDERATION.md, "Batch encoding"): RELAY records go through
 * this hub's router as if read from the remote module standing for their source, DELIVERED ones
 * (answers and injected messages) to the local module they name. `source` finds or makes the remote
 * module for a source ID; `refused` counts and logs what cannot be handled. Returns the batch's
 * header (its sender, serials and confirmation), or null when the batch is unreadable.
 */
export function handleBatch(hub: BatchTarget, data: Buffer, source: (hubName: string, id: string) => HubConnection | null, refused: (why: string) => void): BatchHeader | null {
  let header: BatchHeader;
  try {
    header = parseBatchHeader(data);
  } catch (err) {
    refused(`an unreadable batch: ${(err as Error).message}`);
    return null;
  }
  hub.busInput(() => {
    try {
      forEachRecord(data, header.recordsAt, data.length, (record) => {
        const id = record.id.toString('utf8');
        if (record.type === BusRecordType.RELAY) {
          const conn = source(header.hub, id);
          if (conn === null) {
            refused(`a message from "${id}" of hub ${header.hub}: this hub has its own "${id}"`);
            return;
          }
          try {
            hub.relayFromBus(conn, data, record.bodyStart + FRAME_PREFIX_BYTES, record.end);
          } catch (err) {
            if (!(err instanceof FrameError)) throw err;
            refused(`a message from "${id}" of hub ${header.hub}: ${err.message}`);
          }
        } else if (record.type === BusRecordType.DELIVERED) {
          const conn = hub.modules.get(id);
          if (conn === undefined || conn.origin.remote !== undefined) refused(`frames for "${id}" from hub ${header.hub}: no such module here`);
          else deliverFrames(hub, conn, data, record.bodyStart, record.end);
        } else {
          refused(`a record of unknown type ${record.type} from hub ${header.hub}`);
        }
      });
    } catch (err) {
      if (!(err instanceof BatchError)) throw err;
      refused(`a batch from hub ${header.hub}: ${err.message}`);
    }
  });
  return header;
}

/** Whole frames another hub wrote for `conn`: its ERRORs are sent as this hub's own (counted, seen by monitors), messages as they are. */
function deliverFrames(hub: HubCore, conn: HubConnection, buf: Buffer, from: number, to: number): void {
  let at = from;
  while (to - at > LENGTH_PREFIX_BYTES) {
    const end = at + LENGTH_PREFIX_BYTES + buf.readUInt32BE(at);
    if (end > to) return;
    const type = buf[at + LENGTH_PREFIX_BYTES];
    if (type === FrameType.ERROR) {
      const error = parseError(buf, at + FRAME_PREFIX_BYTES, end);
      hub.sendError(conn, error.code, error.correlationId, error.ref, error.message);
    } else if (type === FrameType.MESSAGE) {
      hub.output.sendControl(conn, buf.subarray(at, end));
      conn.stats.messagesOut++;
    }
    at = end;
  }
}

/**
 * A batch the receiving hub did not confirm (`why`): every message in it from a module of this hub
 * gets an ERROR saying it may not have arrived. A request's record is dropped with it, so the
 * requester is not told twice when the remote module then leaves.
 */
export function answerUnconfirmed(hub: BatchTarget, remote: RemoteHub, batch: Batch, why: string): void {
  hub.busInput(() =>
    forEachRecord(batch.data, batch.recordsAt, batch.data.length, (record) => {
      if (record.type !== BusRecordType.RELAY) return;
      const sender = hub.modules.get(record.id.toString('utf8'));
      if (sender === undefined || sender.origin.remote !== undefined) return;
      const body = record.bodyStart + FRAME_PREFIX_BYTES;
      const kind = batch.data[body + MessageBody.KIND];
      const correlationId = batch.data.readUInt32BE(body + MessageBody.CORRELATION);
      const destinationStart = body + MessageBody.PEER;
      const destination = batch.data.toString('utf8', destinationStart, destinationStart + batch.data[body + MessageBody.PEER_LENGTH]);
      if (kind === MessageKind.BROADCAST) {
        hub.sendError(sender, ErrorCode.PEER_GONE, correlationId, '', `a broadcast may not have reached the modules of hub ${remote.name}: ${why}`);
        return;
      }
      if (kind === MessageKind.REQUEST) remote.modules.get(destination)?.pendingRequests.delete(requestKey(sender, correlationId));
      hub.sendError(
        sender,
        ErrorCode.PEER_GONE,
        correlationId,
        destination,
        `hub ${remote.name} did not confirm the ${MESSAGE_KIND_NAMES[kind]} to "${destination}" (${why}); it may not have arrived`,
      );
    }),
  );
}
