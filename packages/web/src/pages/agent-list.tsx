/** The workspace's agents for pickers and for naming an agent by its id (the first 200 are plenty). */
import { get, type Page } from '../api';
import { useLoad } from '../ui';
import type { Agent } from './agent-types';

export function useAgents() {
  const agents = useLoad(() => get<Page<Agent>>('/agents', { limit: 200 }), []);
  const list = agents.data?.data ?? [];
  return {
    list,
    /** The agent's name, or undefined when the id is null or not one of the list. */
    name: (id: string | null) => list.find((a) => a.id === id)?.name,
  };
}

/** One option per agent, its value the agent's id. */
export function AgentOptions({ agents }: { agents: Agent[] }) {
  return (
    <>
      {agents.map((a) => (
        <option key={a.id} value={a.id}>
          {a.name}
        </option>
      ))}
    </>
  );
}
