/** An agent's page: its state, and the editor, versions and test tabs. */
import { useState } from 'react';
import { get } from '../api';
import { Alert, Badge, Loading, PageTitle, useLoad } from '../ui';
import { AgentEditor } from './agent/AgentEditor';
import { AgentTest } from './agent/AgentTest';
import { AgentVersions } from './agent/AgentVersions';
import { VapiSyncPanel } from './agent/VapiSyncPanel';
import { type Agent, agentState } from './agent-types';

export default function AgentDetail({ params }: { params: Record<string, string> }) {
  const id = params.id!;
  const agent = useLoad(() => get<Agent>(`/agents/${id}`), [id]);
  const [tab, setTab] = useState<'editor' | 'versions' | 'test'>('editor');
  if (agent.error) return <Alert>{agent.error}</Alert>;
  if (!agent.data) return <Loading what="the agent" />;
  const a = agent.data;
  const s = agentState(a);
  const tabs = [
    ['editor', 'Editor'],
    ['versions', 'Versions'],
    ['test', 'Test'],
  ] as const;
  return (
    <>
      <PageTitle actions={<Badge tone={s.tone}>{s.label}</Badge>}>{a.name}</PageTitle>
      {a.runOnVapi ? <VapiSyncPanel agentId={a.id} version={a.currentVersion} /> : null}
      <div className="tabs" role="tablist" aria-label="Agent">
        {tabs.map(([k, label]) => (
          <button
            key={k}
            type="button"
            role="tab"
            className="tab"
            id={`tab-${k}`}
            aria-selected={tab === k}
            aria-controls={`panel-${k}`}
            onClick={() => setTab(k)}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'editor' ? (
          <AgentEditor agent={a} onSaved={(x) => agent.setData(x)} reload={agent.reload} />
        ) : null}
        {tab === 'versions' ? <AgentVersions agent={a} reload={agent.reload} /> : null}
        {tab === 'test' ? <AgentTest agent={a} /> : null}
      </div>
    </>
  );
}
