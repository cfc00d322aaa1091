import { PageTitle } from '../ui';

export default function Numbers() {
  return <PageTitle>Numbers</PageTitle>;
}
