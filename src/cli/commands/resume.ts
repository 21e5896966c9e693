import { idOnlyCommand } from '../command.js';

export default idOnlyCommand('resume', 'resume every process of a paused container', (g, id) => g.runtime.resume(id));
