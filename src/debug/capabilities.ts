/** What the adapter tells the client it supports (the initialize response body). */
import { DebugProtocol } from '@vscode/debugprotocol';
import { exceptionFilters } from './breakpoints/exceptions';

export function capabilities(): DebugProtocol.Capabilities {
  return {
    supportsConfigurationDoneRequest: true,
    supportsStepBack: true,
    supportsGotoTargetsRequest: true,
    supportsRestartRequest: true,
    supportsBreakpointLocationsRequest: true,
    supportsConditionalBreakpoints: true,
    supportsHitConditionalBreakpoints: true,
    supportsLogPoints: true,
    supportsFunctionBreakpoints: true,
    supportsExceptionInfoRequest: true,
    supportsExceptionFilterOptions: true,
    exceptionBreakpointFilters: exceptionFilters(),
    supportsDataBreakpoints: true,
    supportsEvaluateForHovers: true,
    supportsCancelRequest: true,
    supportsTerminateRequest: true,
    supportsDelayedStackTraceLoading: false,
    supportsValueFormattingOptions: false,
    supportsSingleThreadExecutionRequests: false,
  };
}
