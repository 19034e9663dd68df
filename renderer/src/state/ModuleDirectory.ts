import type { WireEvent, WireModule, WireSnapshot } from '@contract';
import { VersionedStore } from './VersionedStore';

export interface Departure {
  /** ms since the Unix epoch */
  leftAt: number;
  reason: string;
  /** The protocol error code that ended the connection; 0 for a clean close. */
  code: number;
}

/** What a join event said, for modules that come and go between two snapshots. */
export interface Arrival {
  /** ms since the Unix epoch */
  joinedAt: number;
  transport: string;
}

export interface ModuleEntry {
  id: string;
  /** The module as the last snapshot that listed it described it; null if no snapshot ever did. */
  module: WireModule | null;
  arrival: Arrival | null;
  departure: Departure | null;
}

/** Said for modules that vanished from the snapshot without a leave event (events were lost). */
export const UNSEEN_DEPARTURE_REASON = 'no longer connected (its leave event was not received)';

/**
 * The modules panel's model: connected modules from the latest snapshot, plus departed modules kept
 * with when and why they left until clearDeparted(). Each module keeps the place it was first seen
 * in: a module that leaves (or is kicked) is greyed where it was, so the rows below never move up
 * under the pointer and a second click cannot land on the next module's kick button.
 */
export class ModuleDirectory extends VersionedStore {
  private current: WireModule[] = [];
  private lastKnown = new Map<string, WireModule>();
  private departures = new Map<string, Departure>();
  private arrivals = new Map<string, Arrival>();
  private places = new Map<string, number>();
  private nextPlace = 0;

  applySnapshot(snapshot: WireSnapshot): void {
    const present = new Set(snapshot.modules.map((module) => module.id));
    for (const previous of this.current) {
      if (!present.has(previous.id) && !this.departures.has(previous.id)) {
        this.departures.set(previous.id, { leftAt: snapshot.now, reason: UNSEEN_DEPARTURE_REASON, code: 0 });
      }
    }
    for (const module of snapshot.modules) {
      const departure = this.departures.get(module.id);
      // Listed in a snapshot taken after it left: it has come back.
      if (departure !== undefined && snapshot.now > departure.leftAt) this.departures.delete(module.id);
      this.lastKnown.set(module.id, module);
      this.placeOf(module.id);
    }
    this.current = snapshot.modules;
    this.forgetUnreferenced();
    this.changed();
  }

  applyEvents(events: readonly WireEvent[]): void {
    let changed = false;
    for (const event of events) {
      if ((event.type === 'join' || event.type === 'leave') && event.role === 'module') this.placeOf(event.id);
      if (event.type === 'join' && event.role === 'module') {
        this.departures.delete(event.id);
        this.arrivals.set(event.id, { joinedAt: event.time / 1000, transport: event.transport });
        changed = true;
      } else if (event.type === 'leave' && event.role === 'module') {
        this.departures.set(event.id, { leftAt: event.time / 1000, reason: event.reason, code: event.code });
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  clearDeparted(): void {
    this.departures.clear();
    this.forgetUnreferenced();
    this.changed();
  }

  get departedCount(): number {
    return this.departures.size;
  }

  /** Connected and departed modules together, each in the place it was first seen (registration order). */
  entries(): ModuleEntry[] {
    const entries: ModuleEntry[] = [];
    for (const module of this.current) {
      if (!this.departures.has(module.id)) entries.push({ id: module.id, module, arrival: this.arrivals.get(module.id) ?? null, departure: null });
    }
    for (const [id, departure] of this.departures) entries.push({ id, module: this.lastKnown.get(id) ?? null, arrival: this.arrivals.get(id) ?? null, departure });
    return entries.sort((a, b) => this.placeOf(a.id) - this.placeOf(b.id));
  }

  /** The module's place in the list, given on first sight. */
  private placeOf(id: string): number {
    let place = this.places.get(id);
    if (place === undefined) {
      place = this.nextPlace++;
      this.places.set(id, place);
    }
    return place;
  }

  private forgetUnreferenced(): void {
    const present = new Set(this.current.map((module) => module.id));
    for (const id of this.lastKnown.keys()) {
      if (!present.has(id) && !this.departures.has(id)) this.lastKnown.delete(id);
    }
    for (const id of this.arrivals.keys()) {
      if (!present.has(id) && !this.departures.has(id)) this.arrivals.delete(id);
    }
    for (const id of this.places.keys()) {
      if (!present.has(id) && !this.departures.has(id)) this.places.delete(id);
    }
  }
}
