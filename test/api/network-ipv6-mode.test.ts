/** IPv6 address mode on subnets (a Plinth addition): default, changes, refusals, and what the API shows. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

for (const kind of BACKENDS) {
  describe(`subnet ipv6_address_mode (${kind})`, () => {
    let r: TestRegion;
    before(async () => { r = await startTestRegion(kind); });
    after(async () => { await r.close(); });

    test('IPv6 defaults to dhcpv6-stateful; each mode can be set; IPv4 subnets have none', async () => {
      const v6 = await r.api('POST', 'subnets/', [['cidr', '2001:db8:77::/64']]);
      assert.equal(v6.status, 200, v6.text);
      assert.equal(v6.json().ipv6_address_mode, 'dhcpv6-stateful');
      for (const mode of ['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful']) {
        const u = await r.api('PUT', `subnets/${v6.json().id}/`, [['ipv6_address_mode', mode]]);
        assert.equal(u.json().ipv6_address_mode, mode);
      }
      const v4 = await r.api('POST', 'subnets/', [['cidr', '10.77.0.0/24']]);
      assert.equal(v4.json().ipv6_address_mode, undefined);
    });

    test('refusals: unknown mode, a mode on IPv4; nothing changes', async () => {
      const v6 = (await r.api('POST', 'subnets/', [['cidr', '2001:db8:78::/64'], ['ipv6_address_mode', 'slaac']])).json();
      const bad = await r.api('PUT', `subnets/${v6.id}/`, [['ipv6_address_mode', 'magic']]);
      assert.equal(bad.status, 400);
      assert.match(bad.json().ipv6_address_mode[0], /not one of the available choices/);
      assert.equal((await r.api('GET', `subnets/${v6.id}/`)).json().ipv6_address_mode, 'slaac');
      const v4 = await r.api('POST', 'subnets/', [['cidr', '10.78.0.0/24'], ['ipv6_address_mode', 'slaac']]);
      assert.equal(v4.status, 400);
      assert.deepEqual(v4.json().ipv6_address_mode, ['ipv6_address_mode applies to IPv6 subnets only.']);
    });
  });
}
