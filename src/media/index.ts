/** The media room: RTP, codecs, resampling, the playout clock, mixing, DTMF and recording. */
export {};
