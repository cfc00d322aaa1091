import { PageTitle } from '../ui';

export default function Users() {
  return <PageTitle>Users</PageTitle>;
}
