/** The voice room: NCCO call control, answer and event webhooks, and the Calls API. */
export * from './VoiceTypes.js';
export { NccoValidationError, type NccoProblem } from './ncco/NccoError.js';
export { NCCO_ACTIONS, NCCO_MAX_ACTIONS, nccoProblems, validateNcco } from './ncco/validateNcco.js';
export { httpRequest, type HttpOutcome, type HttpRequestOptions } from './webhooks/httpRequest.js';
export {
  callWebhook,
  fetchAnswer,
  fetchReplyNcco,
  webhookRequest,
  type AnswerApplication,
  type AnswerAttempt,
  type AnswerResult,
  type AnswerTiming,
  type WebhookSigner,
} from './webhooks/fetchAnswer.js';
export {
  VoiceEventDispatcher,
  type VoiceEventApplication,
  type VoiceEventDispatcherOptions,
} from './webhooks/VoiceEventDispatcher.js';

// The Calls API (outbound calls, call records, live call control) and the `connect` action.
export { CallsService, DEFAULT_LENGTH_TIMER_S, DEFAULT_RINGING_TIMER_S } from './calls/CallsService.js';
export { OutboundCall, type OutboundCallOptions } from './calls/OutboundCall.js';
export type {
  AnswerFetcher,
  AnswerInstructions,
  AudioLoader,
  CallEndpoint,
  CallListFilter,
  CallModification,
  CallPage,
  CallsDialer,
  CallsServiceOptions,
  CallView,
  CreateCall,
  StreamRequest,
  TalkRequest,
} from './calls/CallsServiceTypes.js';
export {
  createConnectHandler,
  type ConnectHandlerOptions,
  type SyncEventCall,
  type WebSocketConnector,
} from './calls/connectAction.js';
export { answerParams, callsWebhooks, type CallsApplication } from './calls/answerHooks.js';
export { createVoice, type Voice, type VoiceOptions } from './createVoice.js';
export { CallControl, type CallControlOptions } from './control/CallControl.js';
export type { ActionContext, ActionOutcome, ControlDeps, RunState } from './control/ActionContext.js';
export { PhoneVoiceCall, voiceEndOf } from './control/PhoneVoiceCall.js';
export { endpointText } from './control/statusEvents.js';
export { EspeakEngine, ESPEAK_NG_PATH } from './speech/EspeakEngine.js';
export { VoiceAudioError, type VoiceAudioErrorCode } from './audio/VoiceAudioError.js';
export { decodeRaw, decodeWav, type PcmAudio } from './audio/decodeAudio.js';
export { loadAudio, MAX_AUDIO_BYTES } from './audio/loadAudio.js';
export { webSocketConnector } from './calls/webSocketConnector.js';
