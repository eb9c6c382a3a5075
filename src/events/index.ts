/** The events room: the BullMQ producer and worker that record events, webhooks and realtime fan-out. */
export {};
