// Browsers cap an element's height (Firefox near 17.9 million px), so past this the scrollbar maps
// proportionally onto the rows instead of one pixel per pixel.
const MAX_SPACER_HEIGHT = 8_000_000;

/** How a list of fixed-height rows maps onto a scroller whose spacer may be shorter than the rows. */
export interface ScrollGeometry {
  spacerHeight: number;
  maxScrollTop: number;
  maxVirtualTop: number;
}

export function scrollGeometry(count: number, rowHeight: number, viewportHeight: number): ScrollGeometry {
  const totalHeight = count * rowHeight;
  const spacerHeight = Math.min(totalHeight, MAX_SPACER_HEIGHT);
  return { spacerHeight, maxScrollTop: Math.max(0, spacerHeight - viewportHeight), maxVirtualTop: Math.max(0, totalHeight - viewportHeight) };
}

/** The offset into all the rows (as if one pixel per pixel) that a scroll position shows. */
export function virtualTopFor(scrollTop: number, shape: ScrollGeometry): number {
  return shape.maxScrollTop > 0 ? Math.min(scrollTop, shape.maxScrollTop) * (shape.maxVirtualTop / shape.maxScrollTop) : 0;
}

export function scrollTopFor(virtualTop: number, shape: ScrollGeometry): number {
  return shape.maxVirtualTop > 0 ? virtualTop * (shape.maxScrollTop / shape.maxVirtualTop) : 0;
}
