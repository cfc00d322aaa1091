export interface Delivery {
  id: string;
  type: string;
  callId: string | null;
  target: string;
  webhookId: string | null;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
}

export const deliveryTone = (status: Delivery['status']) =>
  status === 'delivered' ? 'ok' : status === 'dead' ? 'danger' : 'info';
