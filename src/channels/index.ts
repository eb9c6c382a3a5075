/** The channels room: phone, SIP, WebSocket and App adapters that bind calls to legs. */
export {};
