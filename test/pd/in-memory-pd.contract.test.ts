import { fakeStore, InMemoryPd } from '../fakes/in-memory-pd.ts';
import { runPdClientContract } from './pd-client.contract.ts';

for (const pdVersion of ['v8.5.0', 'v3.0.0']) {
  runPdClientContract(`in-memory fake (${pdVersion})`, async () => {
    const pd = new InMemoryPd({
      pdVersion,
      stores: [
        fakeStore({ storeId: 1 }),
        fakeStore({ storeId: 2 }),
        fakeStore({ storeId: 3 }),
        fakeStore({ storeId: 7, address: 'basic-tikv-0.basic-tikv-peer.ns.svc:20160', stateName: 'Tombstone', nodeState: 'Removed', leaderCount: 0 }),
      ],
    });
    return {
      client: pd,
      upStoreIds: [1, 2, 3],
      tombstoneStoreId: 7,
      pdVersion,
      maxReplicas: 3,
      leaderScheduleLimit: 4,
      restartStore: async (storeId, options) => pd.restartStore(storeId, options),
      close: () => pd.close(),
    };
  });
}
