/**
 * Numbers of the DHCPv4 wire protocol: BOOTP ops (RFC 951), DHCP message types (RFC 2132 §9.6)
 * and the option codes this server reads or writes (RFC 2132 unless noted).
 */

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

/** RFC 2131 §3 / RFC 2132 §9.6 — option 53 values. */
export const MessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type MessageTypeValue = (typeof MessageType)[keyof typeof MessageType];

export const Opt = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTERS: 3,
  DNS_SERVERS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  MTU: 26,
  BROADCAST: 28,
  NTP_SERVERS: 42,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAM_REQUEST_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  VENDOR_CLASS: 60,
  CLIENT_ID: 61,
  TFTP_SERVER_NAME: 66,
  BOOTFILE_NAME: 67,
  /** RFC 3004 */
  USER_CLASS: 77,
  /** RFC 3046 */
  RELAY_AGENT_INFO: 82,
  /** RFC 4578 §2.1 */
  CLIENT_ARCH: 93,
  /** RFC 4578 §2.2 */
  CLIENT_NDI: 94,
  /** RFC 4578 §2.3 */
  CLIENT_UUID: 97,
  /** RFC 3397 */
  DOMAIN_SEARCH: 119,
  /**
   * iPXE's encapsulated options (site-specific range, RFC 2132 §2 / RFC 3942; iPXE's own assignment):
   * sub-options in TLV form. Sub-option 176 (`no-pxedhcp`) set to 1 tells iPXE not to wait for
   * ProxyDHCP offers once it holds an address: without it iPXE waits its ProxyDHCP timeout (2 s by
   * default, 11 s in builds that follow the PXE specification) on every boot.
   */
  IPXE_ENCAP: 175,
  /** RFC 5071 §4 — PXELINUX path prefix. */
  PATH_PREFIX: 210,
  END: 255,
} as const;

/** Sub-options of option 175 (iPXE). */
export const IpxeOpt = { NO_PXEDHCP: 176 } as const;

/** Option 52 values (RFC 2132 §9.3): which of the fixed fields carry options. */
export const Overload = { FILE: 1, SNAME: 2, BOTH: 3 } as const;

/** The four octets that start the options area (RFC 2131 §3, RFC 1497). */
export const MAGIC_COOKIE = 0x63825363;

/** RFC 2131 §2: every DHCP participant must accept 576-octet messages. */
export const MIN_MAX_MESSAGE_SIZE = 576;
