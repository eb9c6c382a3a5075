/** The voice room: NCCO call control, answer and event webhooks, and the Calls API. */
export {};
