/** The sip room: confab's own SIP stack (parser, transports, transactions, dialogs, digest, trunks). */
export {};
