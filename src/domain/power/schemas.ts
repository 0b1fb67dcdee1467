/**
 * Power types and their parameter schemas, as data. The rack's drivers implement the actions; the API's
 * power_parameters validation, `describe_power_types`, the CLI and the UI derive from these schemas.
 */
export interface PowerField {
  name: string; label: string; required: boolean;
  fieldType: 'string' | 'password' | 'choice' | 'multiple_choice' | 'mac_address' | 'ip_address';
  choices?: Array<[string, string]>; default?: string; scope: 'bmc' | 'node'; secret: boolean;
}
export interface PowerTypeSchema { name: string; description: string; fields: PowerField[]; queryable: boolean; canSetBootDevice: boolean }

const f = (name: string, label: string, extra: Partial<PowerField> = {}): PowerField =>
  ({ name, label, required: false, fieldType: 'string', scope: 'bmc', secret: false, ...extra });
const secret = (name: string, label: string, extra: Partial<PowerField> = {}) => f(name, label, { fieldType: 'password', secret: true, ...extra });

export const POWER_TYPES: PowerTypeSchema[] = [
  {
    name: 'ipmi', description: 'IPMI', queryable: true, canSetBootDevice: true,
    fields: [
      f('power_driver', 'Power driver', { required: true, fieldType: 'choice', default: 'LAN_2_0', choices: [['LAN', 'LAN [IPMI 1.5]'], ['LAN_2_0', 'LAN_2_0 [IPMI 2.0]']] }),
      f('power_boot_type', 'Power boot type', { fieldType: 'choice', default: 'auto', choices: [['auto', 'Automatic'], ['legacy', 'Legacy boot'], ['efi', 'EFI boot']] }),
      f('power_address', 'IP address', { required: true }),
      f('power_user', 'Power user'),
      secret('power_pass', 'Power password'),
      secret('k_g', 'K_g BMC key'),
      f('cipher_suite_id', 'Cipher Suite ID', { fieldType: 'choice', default: '3', choices: [['17', '17 - HMAC-SHA256::HMAC_SHA256_128::AES-CBC-128'], ['3', '3 - HMAC-SHA1::HMAC-SHA1-96::AES-CBC-128'], ['', 'freeipmi-tools default'], ['8', '8 - HMAC-MD5::HMAC-MD5-128::AES-CBC-128'], ['12', '12 - HMAC-MD5::MD5-128::AES-CBC-128']] }),
      f('privilege_level', 'Privilege Level', { fieldType: 'choice', default: 'OPERATOR', choices: [['USER', 'User'], ['OPERATOR', 'Operator'], ['ADMIN', 'Administrator']] }),
      f('workaround_flags', 'Workaround Flags', { fieldType: 'multiple_choice', default: 'opensesspriv', choices: ['opensesspriv', 'authcap', 'idzero', 'unexpectedauth', 'forcepermsg', 'endianseq', 'intel20', 'supermicro20', 'sun20', 'nochecksumcheck', 'integritycheckvalue', 'ipmiping', ''].map((c) => [c, c] as [string, string]) }),
      f('mac_address', 'Power MAC', { fieldType: 'mac_address', scope: 'node' }),
      f('power_off_mode', 'Power off mode', { fieldType: 'choice', default: 'hard', choices: [['soft', 'Soft power off'], ['hard', 'Hard power off']] }),
    ],
  },
  {
    name: 'redfish', description: 'Redfish', queryable: true, canSetBootDevice: true,
    fields: [
      f('power_address', 'Redfish address', { required: true }),
      f('power_user', 'Redfish user', { required: true }),
      secret('power_pass', 'Redfish password', { required: true }),
      f('node_id', 'Node ID', { scope: 'node' }),
    ],
  },
  {
    name: 'webhook', description: 'Webhook', queryable: true, canSetBootDevice: false,
    fields: [
      f('power_on_uri', "URI to power on the node", { required: true }),
      f('power_off_uri', 'URI to power off the node', { required: true }),
      f('power_query_uri', 'URI to query the nodes power status', { required: true }),
      f('power_on_regex', 'Regex to confirm the node is on', { required: true, default: 'status.*\\:.*running' }),
      f('power_off_regex', 'Regex to confirm the node is off', { required: true, default: 'status.*\\:.*stopped' }),
      f('power_user', 'Power user'),
      secret('power_pass', 'Power password'),
      secret('power_token', 'Power token, will be used in place of power_user and power_pass'),
      f('power_verify_ssl', 'Verify SSL connections with system CA certificates', { required: true, fieldType: 'choice', default: 'n', choices: [['n', 'No'], ['y', 'Yes']] }),
    ],
  },
  {
    name: 'dli', description: 'Digital Loggers, Inc. PDU', queryable: true, canSetBootDevice: false,
    fields: [
      f('outlet_id', 'Outlet ID', { required: true, scope: 'node' }),
      f('power_address', 'IP address', { required: true }),
      f('power_user', 'Power user'),
      secret('power_pass', 'Power password'),
    ],
  },
  {
    name: 'virsh', description: 'Virsh (virtual systems)', queryable: true, canSetBootDevice: false,
    fields: [
      f('power_address', 'Address (e.g. qemu+ssh://user@host/system)', { required: true }),
      secret('power_pass', 'Password (optional)'),
      f('power_id', 'Virsh VM ID', { required: true, scope: 'node' }),
    ],
  },
  { name: 'manual', description: 'Manual', queryable: false, canSetBootDevice: false, fields: [] },
];

export const powerType = (name: string) => POWER_TYPES.find((t) => t.name === name);

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/**
 * Validates parameters for a power type (pure, offline). Unknown keys are refused; defaults fill gaps.
 * Returns the complete parameter set or field errors.
 */
export function validatePowerParameters(typeName: string, given: Record<string, string>, opts: { skipCheck?: boolean } = {}):
  { params: Record<string, string> } | { errors: Record<string, string[]> } {
  const schema = powerType(typeName);
  if (!schema) return { errors: { power_type: [`Select a valid choice. ${typeName} is not one of the available choices (${POWER_TYPES.map((t) => t.name).join(', ')}).`] } };
  const errors: Record<string, string[]> = {};
  const params: Record<string, string> = {};
  for (const key of Object.keys(given)) {
    if (!schema.fields.some((fl) => fl.name === key)) errors[`power_parameters_${key}`] = [`Unknown parameter '${key}' for power type ${typeName}.`];
  }
  for (const field of schema.fields) {
    const v = given[field.name] ?? field.default ?? '';
    if (!opts.skipCheck) {
      if (field.required && v === '') errors[`power_parameters_${field.name}`] = ['This field is required.'];
      if (v !== '' && field.fieldType === 'choice' && !field.choices!.some(([c]) => c === v))
        errors[`power_parameters_${field.name}`] = [`Select a valid choice. ${v} is not one of the available choices.`];
      if (v !== '' && field.fieldType === 'multiple_choice' && v.split(',').some((x) => !field.choices!.some(([c]) => c === x.trim())))
        errors[`power_parameters_${field.name}`] = [`Select valid choices for ${field.name}.`];
      if (v !== '' && field.name === 'power_address' && typeName === 'ipmi' && !IPV4.test(v) && !HOST.test(v))
        errors[`power_parameters_${field.name}`] = [`Enter a valid IP address or hostname.`];
      if (v !== '' && field.name.endsWith('_uri')) {
        try { const u = new URL(v); if (!/^https?:$/.test(u.protocol)) throw new Error(); } catch { errors[`power_parameters_${field.name}`] = ['Enter a valid URL.']; }
      }
    }
    if (v !== '') params[field.name] = v;
  }
  return Object.keys(errors).length ? { errors } : { params };
}

/** Parameters with every secret field replaced, for anyone who may not see secrets. */
export function redactPowerParameters(typeName: string, params: Record<string, unknown>): Record<string, unknown> {
  const schema = powerType(typeName);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = schema?.fields.find((fl) => fl.name === k)?.secret ? '********' : v;
  return out;
}
