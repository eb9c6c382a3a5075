/** How a client asks for one page of a list. */
export interface PageRequest {
  /** 1 to 100. */
  pageSize: number;
  /** By creation time (or event id): oldest first for `asc`. */
  order: 'asc' | 'desc';
  /** An opaque cursor from a previous page's `next` or `prev`, or absent for the first page. */
  cursor?: string;
}

/** One page of a list. */
export interface Page<T> {
  items: T[];
  /** Cursor of the following page in the same order, absent on the last page. */
  next?: string;
  /** Cursor of the preceding page, absent on the first page. */
  prev?: string;
}
