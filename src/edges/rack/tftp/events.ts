/**
 * What the TFTP server reports. The library never logs: a caller subscribes to these events and
 * logs, counts or forwards them as it likes.
 *
 * - transferStart: a read request was accepted and its transfer socket opened;
 * - transferEnd: the client acknowledged the last block;
 * - transferError: a started transfer failed (timeout, peer ERROR, protocol error, read error) or was
 *   aborted by close();
 * - requestRejected: a datagram at the request port was refused (file not found, WRQ, malformed,
 *   option negotiation failed, backend failure, too many transfers). Garbage can make these frequent;
 *   `replied` is false when the reply was suppressed by the error rate limit;
 * - socketError: the request socket reported an error (the server keeps running).
 */
import type { Remote } from './backend.ts';
import type { FailureReason, TransferResult } from './transfer.ts';

export interface TransferInfo {
  /** Server-wide sequence number of the transfer. */
  id: number;
  remote: Remote;
  /** The file name as requested. */
  path: string;
  mode: 'octet' | 'netascii';
  /** File size in octets, as the backend reported it. */
  size: number;
  blockSize: number;
  windowSize: number;
  /** Local port of the transfer socket (the server's transfer ID). */
  localPort: number;
  /** The acknowledged options as sent in the OACK (empty: no OACK). */
  options: Record<string, string>;
}

export type TransferEnd = TransferInfo & TransferResult;
export type TransferFailure = TransferInfo & TransferResult & { reason: FailureReason; message: string };

export interface RequestRejection {
  remote: Remote;
  /** The requested file, when the datagram was a readable request. */
  path: string | null;
  /** The ERROR code of the answer. */
  code: number;
  message: string;
  replied: boolean;
}

export interface TftpServerEvents {
  transferStart: [TransferInfo];
  transferEnd: [TransferEnd];
  transferError: [TransferFailure];
  requestRejected: [RequestRejection];
  socketError: [Error];
}

export interface TftpStats {
  activeTransfers: number;
  /** Requests waiting for the backend's answer. */
  pendingRequests: number;
  transfersStarted: number;
  transfersCompleted: number;
  transfersFailed: number;
  requestsRejected: number;
  /** DATA payload octets sent, retransmissions included. */
  bytesSent: number;
  packetsSent: number;
  retransmits: number;
}
