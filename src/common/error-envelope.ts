import { STATUS_CODES } from 'node:http';

/** The one error body of the API: `{"statusCode": N, "error": "...", "message": "..."}`. */
export interface ErrorEnvelope {
  statusCode: number;
  error: string;
  message: string;
}

export function errorEnvelope(statusCode: number, message: string): ErrorEnvelope {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

export function errorBody(statusCode: number, message: string): string {
  return JSON.stringify(errorEnvelope(statusCode, message));
}
