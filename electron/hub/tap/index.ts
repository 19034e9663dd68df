/**
 * The tap (issue 13, docs/PROTOCOL.md 15): a listener whose connections are passed on to an existing
 * server unchanged and watched in the hub. Everything other code needs of it is exported here.
 */
export { openTap, TapError, TAP_DISPLAY_LIMIT, type TapHandle, type TapOptions, type TapStats } from './tapListener';
export { parseInPlaceSpec, parseTapSpec, isTapFraming, TAP_FRAMINGS, type InPlaceTapSpec, type TapFramingName, type TapSpec } from './tapSpec';
export { addInPlaceTap, type InPlaceTap } from './inPlaceTap';
export { clientModuleId, upstreamModuleId } from './tapNames';
